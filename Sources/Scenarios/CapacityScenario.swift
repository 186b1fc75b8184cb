import Harness

/// A closed-model sweep of concurrency: throughput against virtual users, fitted with the Universal Scalability
/// Law, and what a target load would need.
public struct CapacityScenario: Scenario {
    public let name = "capacity"
    public let purpose = "How does throughput scale with concurrency (USL fit), and how many instances does 10,000 rps at p99 ≤ 100 ms need?"

    public init() {}

    static func defaults(_ p: Profile) -> (levels: [Int], seconds: Double) {
        switch p {
        case .smoke: ([1, 2, 4, 8, 16, 32, 64], 5)
        case .nightly: ([1, 2, 4, 8, 16, 24, 32, 48, 64, 96, 128], 20)
        case .full: ([1, 2, 4, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256], 60)
        }
    }

    /// The VU levels, seconds per level, and the target rate to project (seed 001: "Throughput: 10,000+ requests per second").
    public func sweep(profile: Profile, overrides: Overrides) throws(UsageError) -> (levels: [Int], seconds: Double, target: Double) {
        try overrides.check(known: ["level", "target", "max_vus"], scenario: name)
        let d = Self.defaults(profile)
        let maxVUs = try overrides.count("max_vus", d.levels.last!, in: d.levels.first!...100_000)
        return (d.levels.filter { $0 <= maxVUs }, try overrides.duration("level", d.seconds), try overrides.number("target", 10_000, in: Overrides.rates))
    }

    /// No faults: several loads, one per concurrency level.
    public func faultHorizon(plan: ScenarioPlan) -> Double? { nil }

    public func plan(profile: Profile, overrides: Overrides) throws(UsageError) -> ScenarioPlan {
        let s = try sweep(profile: profile, overrides: overrides)
        return Self.levelPlan(vus: s.levels.first ?? 1, seconds: s.seconds,
                              describe: "closed model at \(s.levels.map(String.init).joined(separator: ", ")) VUs, \(BasicScenario.format(s.seconds)) s each")
    }

    static func levelPlan(vus: Int, seconds: Double, describe: String = "") -> ScenarioPlan {
        ScenarioPlan(workload: .closed(startVUs: vus, stages: [VUStage(target: vus, durationSeconds: seconds)]), journeys: [Journeys.seed000Session],
                     think: .none, requestTimeoutSeconds: 10, seed: SeedRequest(), kpiSet: "none", describe: describe)
    }

    public func execute(_ ctx: ScenarioContext, plan: ScenarioPlan) async throws -> ScenarioExecution {
        let sweep = try self.sweep(profile: ctx.profile, overrides: ctx.overrides)
        var parts: [RunResult] = []
        var levels: [CapacityLevel] = []
        for vus in sweep.levels where !ctx.control.isInterrupted {
            let r = try await ctx.load(Self.levelPlan(vus: vus, seconds: sweep.seconds))
            parts.append(r)
            let step = StepResult(measured: r, rate: Double(vus))
            levels.append(CapacityLevel(vus: vus, throughput: r.throughput, p99Ms: step.p99Ms, errorRate: step.errorRate, pass: step.pass))
        }
        var e = ScenarioExecution(result: RunResult.sequential(parts))
        e.results.append(Self.analyze(levels, target: sweep.target))
        return e
    }

    /// Judges the levels and fits the USL (throughput in requests per second against VUs).
    public static func analyze(_ levels: [CapacityLevel], target: Double) -> CapacityOutcome {
        let fit = USLFit.fit(levels.map { (n: Double($0.vus), x: $0.throughput) })
        return CapacityOutcome(levels: levels, usl: fit, kneeRps: levels.filter(\.pass).map(\.throughput).max(), targetRps: target)
    }
}
