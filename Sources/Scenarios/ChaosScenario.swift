import Harness

/// The seed-000 journey at a steady rate while the stack's parts fail on a plan: does campaignd ride each fault
/// out, and how long after each does it meet its SLO again?
public struct ChaosScenario: Scenario {
    public let name = "chaos"
    public let purpose = "When PostgreSQL restarts, Redis dies or the database's network slows, how many requests fail, and how fast is campaignd well again?"

    public init() {}

    /// Iterations per second and seconds, per profile.
    static func defaults(_ p: Profile) -> (rate: Double, duration: Double) {
        switch p {
        case .smoke: (20, 45)
        case .nightly: (40, 150)
        case .full: (80, 600)
        }
    }

    public func plan(profile: Profile, overrides: Overrides) throws(UsageError) -> ScenarioPlan {
        try BasicScenario.journeyPlan(scenario: name, defaults: Self.defaults(profile), overrides: overrides, kpiSet: "chaos", note: ", with faults")
    }

    /// The standard set, spread over the run with room to recover after each: a database restart, a cache
    /// death, a slow database network, a reset of every database connection; nightly and full add campaignd's
    /// own kill and SIGTERM, and a database crash.
    public func defaultFaults(plan: ScenarioPlan) -> [FaultSpec] {
        let d = Double(plan.workload.durationNanos) / 1e9
        var f = [
            FaultSpec(component: .postgres, action: .restart, start: d * 0.18, duration: 3),
            FaultSpec(component: .redis, action: .kill, start: d * 0.42, duration: 5),
            FaultSpec(component: .postgresNet, action: .latency(ms: 50), start: d * 0.66, duration: min(d * 0.13, 20)),
        ]
        if d >= 120 {
            f += [FaultSpec(component: .postgresNet, action: .reset, start: d * 0.05),
                  FaultSpec(component: .campaignd, action: .kill, start: d * 0.30),
                  FaultSpec(component: .campaignd, action: .term, start: d * 0.55),
                  FaultSpec(component: .postgres, action: .kill, start: d * 0.85)]
        }
        return f.map { var x = $0; x.start = x.start.rounded(); x.duration = x.duration.map { $0.rounded() }; return x }
    }
}
