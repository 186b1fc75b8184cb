import Foundation
import Testing
import Harness
import Environment
import Reports
import Scenarios

extension WholeMachine {
/// End to end with campaignd's latency knob, trials against trials: an unchanged build never regresses against a
/// stored baseline, and a slowed route regresses against the unchanged build (as `mailstorm ab` runs them), named
/// as the one most to blame.
@Suite struct RegressionDetectionTests {
    /// Trials, each on a fresh stack and each after a speed probe, as `mailstorm run` takes them: the probes'
    /// spread and their move between the sessions set the comparison's drift allowance and machine check.
    /// Against a baseline, trials are added while the comparison is inconclusive, as `run` adds them (Pinpoint's
    /// "more trials when unsure"): a stolen vCPU can widen three trials' spread past any decision.
    func trials(_ extra: [String] = [], against baseline: Baseline? = nil) async throws -> Summary {
        let schedule = TrialSchedule(minTrials: 3, maxTrials: baseline == nil ? 3 : 6, maxSeconds: 180)
        var outcomes: [ScenarioOutcome] = [], probes: [SpeedProbe] = []
        let start = Date()
        while true {
            let t0 = Date()
            probes.append(SpeedProbe.measure())
            outcomes.append(try await trial(extra))
            let sofar = summary(outcomes, probes)
            let comparison = outcomes.count >= schedule.minTrials ? baseline.map { Comparison.compare(sofar, with: $0) } : nil
            let step = schedule.next(done: outcomes.count, elapsed: Date().timeIntervalSince(start), perTrial: Date().timeIntervalSince(t0),
                                     comparison: comparison)
            if case .stop = step { return sofar }
        }
    }

    /// One trial of the basic scenario on a fresh stack, campaignd run with `extra`.
    func trial(_ extra: [String]) async throws -> ScenarioOutcome {
        var options = RunOptions()
        options.overrides = try Overrides(["rate=25", "duration=5s"])
        options.stack = Integration.stackOptions(extra)
        return try await ScenarioRunner().run(BasicScenario(), options: options)
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

    /// The unchanged build's trials and `extra`'s, interleaved in one job as `mailstorm ab` takes them (the order
    /// swapped each pair), more while undecided: both sides share every moment of the machine, so a burst of
    /// hypervisor steal cannot make one side's session look slower. Against a stored baseline recorded in such a
    /// burst (CI: every route 60-80% slower than the slowed build's session) the +5 ms was honestly inconclusive.
    func interleaved(_ extra: [String]) async throws -> Comparison {
        let schedule = TrialSchedule(minTrials: 3, maxTrials: 6, maxSeconds: 240)
        var sides: [[TrialFigures]] = [[], []]
        let start = Date()
        while true {
            let t0 = Date()
            for side in sides[0].count % 2 == 0 ? [0, 1] : [1, 0] {
                sides[side] += summary([try await trial(side == 0 ? [] : extra)], []).trials
            }
            let c = Comparison.compare(current: sides[1], reference: sides[0], machine: .sameJob, baselineGitSha: "the unchanged build",
                                       baselineCreatedAt: "this job")
            let step = schedule.next(done: sides[0].count, elapsed: Date().timeIntervalSince(start), perTrial: Date().timeIntervalSince(t0),
                                     comparison: sides[0].count >= schedule.minTrials ? c : nil)
            if case .stop = step { return c }
        }
    }

    @Test func aaNeverRegressesAndAnInjectedDelayRegressesItsRoute() async throws {
        let a = try await trials()
        // The merged trials' KPIs are measured, campaignd's counters added up over every trial (not NaN).
        #expect(a.kpis.allSatisfy { !$0.value.isNaN }, "\(a.kpis.filter { $0.value.isNaN }.map(\.name))")
        let baseline = Baseline(from: a)
        let aa = Comparison.compare(try await trials(against: baseline), with: baseline)
        #expect(aa.regressions.isEmpty && aa.outcome != .improved, "A/A:\n\(aa.render())")

        // +5 ms on a route of well under 1 ms, against the unchanged build in the same job.
        let ab = try await interleaved(["--inject-delay=GET /api/stats=5"])
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
