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
        var outcomes: [ScenarioOutcome] = [], probes: [SpeedProbe] = []
        try await takeTrials(TrialSchedule(minTrials: 3, maxTrials: baseline == nil ? 3 : 6, maxSeconds: 180)) {
            probes.append(SpeedProbe.measure())
            outcomes.append(try await trial(extra))
            return (outcomes.count, baseline.map { Comparison.compare(summary(outcomes, probes), with: $0) })
        }
        return summary(outcomes, probes)
    }

    /// Takes trials with `take` (one, or a pair, returning the trials a side so far and their comparison) until
    /// `schedule` stops, as `run` and `ab` do.
    func takeTrials(_ schedule: TrialSchedule, _ take: () async throws -> (trials: Int, comparison: Comparison?)) async throws {
        let start = Date()
        while true {
            let t0 = Date()
            let (n, c) = try await take()
            let step = schedule.next(done: n, elapsed: Date().timeIntervalSince(start), perTrial: Date().timeIntervalSince(t0),
                                     comparison: n >= schedule.minTrials ? c : nil)
            if case .stop = step { return }
        }
    }

    /// One trial of the basic scenario on a fresh stack, campaignd run with `extra`.
    func trial(_ extra: [String]) async throws -> ScenarioOutcome {
        var options = RunOptions()
        options.overrides = try Overrides(["rate=25", "duration=5s"])
        options.stack = Integration.stackOptions(extra)
        return try await ScenarioRunner().run(BasicScenario(), options: options)
    }

    /// One trial's figures, as a run's summary keeps them.
    func figures(_ t: ScenarioOutcome) -> TrialFigures {
        TrialFigures(SummaryBuilder.build(scenario: t.scenario, profile: "smoke", load: t.describe, target: t.target, embedded: true,
                                          result: t.result, kpis: []))
    }

    func summary(_ outcomes: [ScenarioOutcome], _ probes: [SpeedProbe]) -> Summary {
        let o = ScenarioRunner.combine(outcomes)
        return SummaryBuilder.build(scenario: o.scenario, profile: "smoke", load: o.describe, target: o.target, embedded: true,
                                    result: o.result, kpis: KPICatalog.api, services: o.services, trials: outcomes.map(figures),
                                    machineSpeed: SpeedProbe.combine(probes))
    }

    /// The unchanged build's trials and `extra`'s, interleaved in one job as `mailstorm ab` takes them (the order
    /// swapped each pair), more while undecided: both sides share every moment of the machine, so a burst of
    /// hypervisor steal cannot make one side's session look slower. Against a stored baseline recorded in such a
    /// burst (CI: every route 60-80% slower than the slowed build's session) the +5 ms was honestly inconclusive.
    func interleaved(_ extra: [String]) async throws -> Comparison {
        var sides: [[TrialFigures]] = [[], []]
        var last: Comparison?
        try await takeTrials(TrialSchedule(minTrials: 3, maxTrials: 6, maxSeconds: 240)) {
            for side in sides[0].count % 2 == 0 ? [0, 1] : [1, 0] {
                sides[side].append(figures(try await trial(side == 0 ? [] : extra)))
            }
            last = Comparison.compare(current: sides[1], reference: sides[0], machine: .sameJob, baselineGitSha: "the unchanged build",
                                      baselineCreatedAt: "this job")
            return (sides[0].count, last)
        }
        return last!
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
