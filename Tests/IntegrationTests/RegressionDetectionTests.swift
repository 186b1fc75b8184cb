import Foundation
import Testing
import Harness
import Reports
import Scenarios

extension RealStack {
/// End to end with campaignd's latency knob: an unchanged build compares "unchanged", a slowed one "regressed".
@Suite struct RegressionDetectionTests {
    func run(_ extra: [String] = []) async throws -> Summary {
        var options = RunOptions()
        options.overrides = try Overrides(["rate=25", "duration=10s"])
        options.stack = StackOptions(campaignd: Integration.binary("campaignd"), campaigndArguments: extra)
        let o = try await ScenarioRunner().run(BasicScenario(), options: options)
        return SummaryBuilder.build(scenario: o.scenario, profile: "smoke", load: o.describe, target: o.target, embedded: true,
                                    result: o.result, kpis: KPICatalog.api)
    }

    @Test func aaIsUnchangedAndABWithInjectedLatencyRegresses() async throws {
        // Consecutive debug-build runs on a shared CI machine drift by up to ~50% at a p50 near 2 ms
        // (docs/regression-detection.md), so this test sets its limits above that; the injected 5 ms is far beyond.
        let limits = Thresholds(alpha: 0.01, limits: [
            "p50": .init(relative: 0.3, absolute: 1), "p95": .init(relative: 0.3, absolute: 1), "p99": .init(relative: 0.4, absolute: 2),
            "throughput": .init(relative: 0.05, absolute: 0), "error_rate": .init(relative: .infinity, absolute: 0.5),
        ])
        let baseline = Baseline(from: try await run())
        let aa = Comparison.compare(current: try await run(), baseline: baseline, thresholds: limits)
        #expect(aa.regressions.isEmpty, "A/A false alarm:\n\(aa.render())")

        let ab = Comparison.compare(current: try await run(["--inject-delay=GET /api/stats=5"]), baseline: baseline, thresholds: limits)
        let stats = ab.rows.filter { $0.scope == "GET /api/stats" && $0.metric == "p50" }
        #expect(stats.first?.verdict == .regressed, "\(ab.render())")
        #expect(ExitStatus.code(kpisPassed: true, comparison: ab) == 1)
        // The slowed route is the one most to blame.
        let worst = ab.regressions.filter { $0.scope != "overall" }.max { ($0.changePercent ?? 0) < ($1.changePercent ?? 0) }
        #expect(worst?.scope == "GET /api/stats", "\(ab.render())")
    }
}
}
