import Harness
import Environment

/// The arrival rate climbs in steps until the SLO breaks: where is the knee, and where does it break?
public struct StressScenario: Scenario {
    public let name = "stress"
    public let purpose = "At what rate does the seed-000 journey stop meeting p99 ≤ 100 ms, errors ≤ 1%, drops ≤ 1%?"

    public init() {}

    /// Step length and the search's ceiling per profile; rates are journey iterations per second (4 requests each).
    static func defaults(_ p: Profile) -> (step: Double, start: Double, max: Double, maxSteps: Int) {
        switch p {
        case .smoke: (4, 25, 3000, 12)
        case .nightly: (20, 25, 5000, 16)
        case .full: (60, 25, 10000, 24)
        }
    }

    /// No faults: several loads, one per step.
    public func faultHorizon(plan: ScenarioPlan) -> Double? { nil }

    public func plan(profile: Profile, overrides: Overrides) throws(UsageError) -> ScenarioPlan {
        let s = try search(profile: profile, overrides: overrides)
        return BasicScenario.constantPlan(rate: s.search.startRate, duration: s.stepSeconds, timeout: 10,
                                          kpiSet: "none", describe: "steps of \(BasicScenario.format(s.stepSeconds)) s from \(BasicScenario.format(s.search.startRate)) iterations/s, ×\(s.search.growth) until the SLO breaks, then bisection; a step that breaks runs again, and the knee must pass 2 more")
    }

    /// The stepwise search this scenario runs.
    public func search(profile: Profile, overrides: Overrides) throws(UsageError) -> (search: StepSearch, stepSeconds: Double, maxSteps: Int) {
        try overrides.check(known: ["start", "max", "step", "growth"], scenario: name)
        let d = Self.defaults(profile)
        let search = try StepSearch.from(overrides, start: d.start, max: d.max, maxSteps: d.maxSteps)
        return (search, try overrides.duration("step", d.step), d.maxSteps)
    }

    public func execute(_ ctx: ScenarioContext, plan: ScenarioPlan) async throws -> ScenarioExecution {
        let (search, stepSeconds, _) = try self.search(profile: ctx.profile, overrides: ctx.overrides)
        return try await Self.knee(search) { rate in
            try await ctx.load(BasicScenario.constantPlan(rate: rate, duration: stepSeconds, timeout: 10, kpiSet: "none", describe: ""))
        }
    }

    /// Runs `search` with `load` measuring each step: the steps back to back as one run, and the knee found.
    static func knee(_ search: StepSearch, load: (Double) async throws -> RunResult) async throws -> ScenarioExecution {
        var parts: [RunResult] = []
        let found = try await search.run { rate in
            let r = try await load(rate)
            // Where RunResult.sequential places this step's seconds.
            let start = parts.reduce(0) { $0 + $1.durationSeconds.rounded(.up) }
            parts.append(r)
            var step = StepResult(measured: r, rate: rate)
            step.startS = start
            return step
        }
        var e = ScenarioExecution(result: RunResult.sequential(parts))
        e.results.append(StressOutcome(found))
        return e
    }
}
