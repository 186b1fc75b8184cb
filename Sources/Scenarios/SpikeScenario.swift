import Harness

/// A steady rate, a sudden surge, then the steady rate again: how bad is the spike, and how long until p99 recovers?
public struct SpikeScenario: Scenario {
    public let name = "spike"
    public let purpose = "What happens to errors and p99 in a 10x surge, and how long until p99 is back to its level before it?"

    public init() {}

    /// (base rate it/s, before s, spike s, after s) per profile.
    static func defaults(_ p: Profile) -> (rate: Double, before: Double, spike: Double, after: Double) {
        switch p {
        case .smoke: (25, 15, 5, 20)
        case .nightly: (50, 60, 30, 120)
        case .full: (100, 300, 60, 600)
        }
    }

    /// The shape of the run: base rate, surge factor, and when the surge starts and ends (seconds).
    public func shape(profile: Profile, overrides: Overrides) throws(UsageError) -> (rate: Double, factor: Double, start: Double, end: Double, total: Double) {
        try overrides.check(known: ["rate", "factor", "before", "spike", "after"], scenario: name)
        let d = Self.defaults(profile)
        let rate = try overrides.number("rate", d.rate, in: Overrides.rates)
        let factor = try overrides.number("factor", 10, in: 0.001...(Overrides.rates.upperBound / rate))
        let before = try overrides.duration("before", d.before), spike = try overrides.duration("spike", d.spike)
        let after = try overrides.duration("after", d.after)
        return (rate, factor, before, before + spike, before + spike + after)
    }

    public func plan(profile: Profile, overrides: Overrides) throws(UsageError) -> ScenarioPlan {
        let s = try shape(profile: profile, overrides: overrides)
        // Steps as ramps of 10 ms: RampingRate integrates them exactly, and 10 ms is below the 1 s reporting grain.
        let edge = 0.01
        let pacer = RampingRate(startRate: s.rate, stages: [
            RateStage(target: s.rate, durationSeconds: s.start - edge),
            RateStage(target: s.rate * s.factor, durationSeconds: edge),
            RateStage(target: s.rate * s.factor, durationSeconds: s.end - s.start - edge),
            RateStage(target: s.rate, durationSeconds: edge),
            RateStage(target: s.rate, durationSeconds: s.total - s.end),
        ])
        let timeout = 10.0
        let f = BasicScenario.format
        return ScenarioPlan(
            workload: .open(pacer: pacer, maxInFlight: LoadPlan.defaultMaxInFlight(rate: s.rate * s.factor, timeoutSeconds: timeout)),
            journeys: [Journeys.seed000Session], think: .none, requestTimeoutSeconds: timeout, seed: SeedRequest(), kpiSet: "none",
            describe: "\(f(s.rate)) iterations/s, \(f(s.factor))x from \(f(s.start)) s to \(f(s.end)) s, \(f(s.total)) s in all, open model")
    }
}

extension SpikeScenario {
    public func execute(_ ctx: ScenarioContext, plan: ScenarioPlan) async throws -> ScenarioExecution {
        let shape = try self.shape(profile: ctx.profile, overrides: ctx.overrides)
        var e = ScenarioExecution(result: try await ctx.load(plan))
        e.results.append(SpikeAnalysis.analyze(e.result.intervals, start: shape.start, end: shape.end))
        return e
    }
}

/// Reads a spike out of the per-second series.
public enum SpikeAnalysis {
    /// `start` and `end` bound the surge in seconds. The level before is the median per-second p99 from 2 s
    /// (after warm-up) to the surge; recovery is the first second after the surge from which three seconds in a
    /// row have p99 within max(1.5x the level, level + 5 ms).
    public static func analyze(_ rows: [IntervalRow], start: Double, end: Double) -> SpikeOutcome {
        let before = rows.filter { $0.t >= 2 && $0.t + 1 <= start }.map(\.p99Ms).sorted()
        let level = before.isEmpty ? 0 : before[before.count / 2]
        let during = rows.filter { $0.t >= start && $0.t < end }
        let requests = during.reduce(UInt64(0)) { $0 + $1.requests }
        let errors = during.reduce(UInt64(0)) { $0 + $1.errors }
        let dropped = during.reduce(UInt64(0)) { $0 + $1.dropped }
        let limit = max(level * 1.5, level + 5)
        let after = rows.filter { $0.t >= end }
        var recovery: Double?
        if after.count >= 3 {
            for i in 0...(after.count - 3) where after[i..<(i + 3)].allSatisfy({ $0.p99Ms <= limit && $0.requests > 0 }) {
                recovery = after[i].t - end
                break
            }
        }
        return SpikeOutcome(levelP99Ms: level, spikeP99Ms: during.map(\.p99Ms).max() ?? 0,
                            spikeErrorRate: requests == 0 ? 0 : Double(errors) / Double(requests), spikeDropped: dropped,
                            recoveryS: recovery, recoveryLimitMs: limit)
    }
}
