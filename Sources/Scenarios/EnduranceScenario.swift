import Harness
import Environment

/// A long steady run: does anything drift (p99, throughput, memory, files, database size)? It drives the
/// steady-state session, which deletes what it creates, so a process whose memory still grows is leaking.
public struct EnduranceScenario: Scenario {
    public let name = "endurance"
    public let purpose = "Over a long steady run, do p99, throughput, memory, open files or the database grow?"

    public init() {}

    static func defaults(_ p: Profile) -> (rate: Double, duration: Double) {
        switch p {
        case .smoke: (25, 50)
        case .nightly: (50, 1800)
        case .full: (100, 4 * 3600)
        }
    }

    public func plan(profile: Profile, overrides: Overrides) throws(UsageError) -> ScenarioPlan {
        try overrides.check(known: ["rate", "duration"], scenario: name)
        let d = Self.defaults(profile)
        let rate = try overrides.number("rate", d.rate, in: Overrides.rates), duration = try overrides.duration("duration", d.duration)
        return BasicScenario.constantPlan(rate: rate, duration: duration, timeout: 10, kpiSet: "api",
                                          describe: "\(BasicScenario.format(rate)) iterations/s (6 requests each: the session deletes what it creates) for \(BasicScenario.format(duration)) s, open model, soak",
                                          journey: Journeys.steadyState)
    }

    public func execute(_ ctx: ScenarioContext, plan: ScenarioPlan) async throws -> ScenarioExecution {
        let before = ScenarioRunner.databaseBytes(ctx.endpoints.databaseURL)
        var e = ScenarioExecution(result: try await ctx.load(plan))
        e.databaseBytesBefore = before
        return e
    }

    public func conclude(_ e: inout ScenarioExecution, resources: [String: ProcessResources], ctx: ScenarioContext) {
        let after = ScenarioRunner.databaseBytes(ctx.endpoints.databaseURL)
        var outcome = Self.analyze(e.result.intervals, resources: resources, databaseBytes: e.databaseBytesBefore.flatMap { b in after.map { [b, $0] } })
        outcome.durationS = e.result.durationSeconds
        outcome.p99LevelMs = e.result.overall.latency.millis(at: 99)
        outcome.memoryLevelsMb = resources.mapValues(\.memoryStartMb)
        e.results.append(outcome)
    }

    /// Seconds of warm-up left out of every trend: connection pools fill, PostgreSQL backends start and touch
    /// shared buffers (their PSS grows as they do), caches fill. A soak asks about drift after that.
    static let warmUpSeconds = 10.0

    /// Fits the trends after the warm-up.
    public static func analyze(_ rows: [IntervalRow], resources: [String: ProcessResources], databaseBytes: [Int64]?) -> EnduranceOutcome {
        let steady = rows.filter { $0.t >= warmUpSeconds && $0.requests > 0 }
        let fullSeconds = steady.filter { r in steady.last.map { r.t < $0.t } ?? false }  // the last second may be partial
        let endpoints = Set(fullSeconds.flatMap { $0.perEndpoint.keys })
        return EnduranceOutcome(
            p99Trend: Trend.fit(fullSeconds.map { ($0.t, $0.p99Ms) }),
            endpointP99Trends: Dictionary(uniqueKeysWithValues: endpoints.compactMap { name in
                Trend.fit(fullSeconds.compactMap { r in r.perEndpoint[name].flatMap { $0.requests > 0 ? (r.t, $0.p99Ms) : nil } }).map { (name, $0) }
            }),
            throughputTrend: Trend.fit(fullSeconds.map { ($0.t, $0.rps) }),
            memoryTrends: resources.compactMapValues { r in Trend.fit(r.series.filter { $0.t >= warmUpSeconds }.map { ($0.t, $0.memoryMb) }) },
            fds: resources.mapValues { [$0.series.first?.fds ?? 0, $0.series.last?.fds ?? 0] },
            databaseBytes: databaseBytes)
    }
}
