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
        let baseline = Baseline(from: try await run())
        let aa = Comparison.compare(current: try await run(), baseline: baseline)
        #expect(aa.regressions.isEmpty, "A/A false alarm:\n\(aa.render())")

        let ab = Comparison.compare(current: try await run(["--inject-delay=GET /api/stats=5"]), baseline: baseline)
        let stats = ab.rows.filter { $0.scope == "GET /api/stats" && $0.metric == "p50" }
        #expect(stats.first?.verdict == .regressed, "\(ab.render())")
        #expect(ExitStatus.code(kpisPassed: true, comparison: ab) == 1)
        // The slowed route is the one most to blame.
        let worst = ab.regressions.filter { $0.scope != "overall" }.max { ($0.changePercent ?? 0) < ($1.changePercent ?? 0) }
        #expect(worst?.scope == "GET /api/stats", "\(ab.render())")
    }
}
}
