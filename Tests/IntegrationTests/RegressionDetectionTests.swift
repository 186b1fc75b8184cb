import Foundation
import Testing
import Harness
import Environment
import Reports
import Scenarios

extension WholeMachine {
/// End to end with campaignd's latency knob, trials against trials: an unchanged build never regresses, and a
/// slowed route regresses, named as the one most to blame.
@Suite struct RegressionDetectionTests {
    /// Trials, each on a fresh stack and each after a speed probe, as `mailstorm run` takes them: the probes'
    /// spread and their move between the sessions set the comparison's drift allowance and machine check.
    /// Against a baseline, trials are added while the comparison is inconclusive, as `run` adds them (Pinpoint's
    /// "more trials when unsure"): a stolen vCPU can widen three trials' spread past any decision.
    func trials(_ extra: [String] = [], against baseline: Baseline? = nil) async throws -> Summary {
        var options = RunOptions()
        options.overrides = try Overrides(["rate=25", "duration=5s"])
        options.stack = Integration.stackOptions(extra)
        let schedule = TrialSchedule(minTrials: 3, maxTrials: baseline == nil ? 3 : 6, maxSeconds: 180)
        var outcomes: [ScenarioOutcome] = [], probes: [SpeedProbe] = []
        let start = Date()
        while true {
            let t0 = Date()
            probes.append(SpeedProbe.measure())
            outcomes.append(try await ScenarioRunner().run(BasicScenario(), options: options))
            let sofar = summary(outcomes, probes)
            let comparison = outcomes.count >= schedule.minTrials ? baseline.map { Comparison.compare(sofar, with: $0) } : nil
            let step = schedule.next(done: outcomes.count, elapsed: Date().timeIntervalSince(start), perTrial: Date().timeIntervalSince(t0),
                                     comparison: comparison)
            if case .stop = step { return sofar }
        }
    }

    func summary(_ outcomes: [ScenarioOutcome], _ probes: [SpeedProbe]) -> Summary {
        let o = ScenarioRunner.combine(outcomes)
        let figures = outcomes.map { t in
            TrialFigures(SummaryBuilder.build(scenario: t.scenario, profile: "smoke", load: t.describe, target: t.target, embedded: true,
                                              result: t.result, kpis: []))
        }
        return SummaryBuilder.build(scenario: o.scenario, profile: "smoke", load: o.describe, target: o.target, embedded: true,
                                    result: o.result, kpis: KPICatalog.api, services: o.services, trials: figures,
                                    machineSpeed: SpeedProbe.combine(probes))
    }

    @Test func aaNeverRegressesAndAnInjectedDelayRegressesItsRoute() async throws {
        let a = try await trials()
        // The merged trials' KPIs are measured, campaignd's counters added up over every trial (not NaN).
        #expect(a.kpis.allSatisfy { !$0.value.isNaN }, "\(a.kpis.filter { $0.value.isNaN }.map(\.name))")
        let baseline = Baseline(from: a)
        let aa = Comparison.compare(try await trials(against: baseline), with: baseline)
        #expect(aa.regressions.isEmpty && aa.outcome != .improved, "A/A:\n\(aa.render())")

        let ab = Comparison.compare(try await trials(["--inject-delay=GET /api/stats=5"], against: baseline), with: baseline)
        // +5 ms on a route of well under 1 ms: a regression beyond any move of the machine's speed, however far the probes say it moved.
        #expect(ab.outcome == .regressed, "\(ab.render())")
        let stats = ab.rows.first { $0.scope == "GET /api/stats" && $0.metric == "p50" }
        #expect(stats?.verdict == .regressed, "\(ab.render())")
        var judged = a
        judged.judge(comparison: ab, advisory: false)
        #expect(judged.verdict.exitCode == ExitStatus.failure)
        let worst = ab.regressions.filter { $0.scope != "overall" }.max { $0.change < $1.change }
        #expect(worst?.scope == "GET /api/stats", "\(ab.render())")
    }
}
}
