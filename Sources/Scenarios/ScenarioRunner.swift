import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Harness

/// Where and how to run a scenario.
public struct RunOptions: Sendable {
    public var profile: Profile = .smoke
    public var overrides = try! Overrides([])
    /// Target an existing deployment instead of starting the embedded stack.
    public var target: String?
    public var stack = StackOptions()
    public var threads = 1
    public var password = "mailstorm-pass"
    /// Repeats of the run, each on a fresh embedded stack; results merge exactly.
    public var trials = 1
    public init() {}
}

/// What a scenario run produced, ready for Reports.
public struct ScenarioOutcome: Sendable {
    public var scenario: String
    public var profile: Profile
    public var describe: String
    public var kpiSet: String
    public var target: String
    public var embedded: Bool
    public var result: RunResult
    /// The stress search's steps, knee and breaking point (stress scenario only).
    public var stress: StressOutcome?
    /// The spike's effect and recovery (spike scenario only).
    public var spike: SpikeOutcome?
    /// Drift of p99, throughput, memory, files and database size (endurance scenario only).
    public var endurance: EnduranceOutcome?
    /// The concurrency sweep and its USL fit (capacity scenario only).
    public var capacity: CapacityOutcome?
    /// CPU, memory, threads and files of each process, sampled every second (the last trial's).
    public var resources: [String: ProcessResources] = [:]
}

/// Starts (or reaches) the stack, seeds it, runs the load, and tears the stack down.
public struct ScenarioRunner: Sendable {
    public init() {}

    /// Runs `scenario`. `sinks` see each interval as it completes; `control` lets a signal stop the run.
    /// `stack`, when given, is used as is and left running (tests inspect it afterwards).
    /// `onResources` receives each second's process samples (to append them to disk as the run goes).
    public func run(_ scenario: any Scenario, options: RunOptions, sinks: [any IntervalSink] = [],
                    control: RunControl = RunControl(), stack existing: Stack? = nil,
                    onResources: (@Sendable ([String: ResourceRow]) -> Void)? = nil) async throws -> ScenarioOutcome {
        var outcomes: [ScenarioOutcome] = []
        for _ in 0..<max(1, options.trials) where !control.isInterrupted || outcomes.isEmpty {
            outcomes.append(try await runOnce(scenario, options: options, sinks: sinks, control: control, stack: existing, onResources: onResources))
        }
        var first = outcomes[0]
        first.result = RunResult.sequential(outcomes.map(\.result))
        if outcomes.count > 1 { first.describe += ", \(outcomes.count) trials" }
        first.resources = outcomes.last!.resources
        return first
    }

    func runOnce(_ scenario: any Scenario, options: RunOptions, sinks: [any IntervalSink],
                 control: RunControl, stack existing: Stack?, onResources: (@Sendable ([String: ResourceRow]) -> Void)?) async throws -> ScenarioOutcome {
        let plan = try scenario.plan(profile: options.profile, overrides: options.overrides)
        var endpoints: StackEndpoints
        var owned: Stack?
        if let existing {
            endpoints = existing.endpoints
        } else if let t = options.target {
            _ = try TargetAddress(url: t)
            endpoints = StackEndpoints(target: t, databaseURL: options.stack.databaseURL, redisURL: options.stack.redisURL)
        } else {
            let s = try Stack.up(options.stack)
            owned = s
            endpoints = s.endpoints
        }
        defer { owned?.down() }
        let target = try TargetAddress(url: endpoints.target)
        let users = try seed(plan.seed, endpoints: endpoints, binary: existing?.campaigndBinary ?? owned?.campaigndBinary ?? options.stack.campaignd,
                             password: options.password)
        guard !control.isInterrupted else { throw StackError("interrupted before the load started") }
        // The harness itself and, with the embedded stack, every server (PostgreSQL with its backends).
        let monitor = ResourceMonitor(targets: ((existing ?? owned)?.pids ?? [:]).merging(["mailstorm": getpid()]) { a, _ in a },
                                      own: ["mailstorm"], onSample: onResources)
        monitor.start()
        defer { _ = monitor.stop() }
        func load(_ p: ScenarioPlan) async throws -> RunResult {
            let runner = LoadRunner(plan: p.loadPlan(target: target, users: users, password: options.password, threads: options.threads), sinks: sinks)
            control.attach(runner)
            let r = try await runner.run()
            if let dead = (existing ?? owned)?.deadServer { throw StackError("\(dead) died during the run") }
            return r
        }
        let dbBefore = Self.databaseBytes(endpoints.databaseURL)
        var result: RunResult
        var stress: StressOutcome?
        var capacity: CapacityOutcome?
        if let s = scenario as? StressScenario {
            let (search, stepSeconds, _) = try s.search(profile: options.profile, overrides: options.overrides)
            var parts: [RunResult] = []
            let found = try await search.run { rate in
                let r = try await load(BasicScenario.constantPlan(rate: rate, duration: stepSeconds, timeout: 10, kpiSet: "none", describe: ""))
                parts.append(r)
                return StepResult(measured: r, rate: rate)
            }
            result = RunResult.sequential(parts)
            let kneeStep = found.steps.first { $0.rate == found.knee }
            stress = StressOutcome(steps: found.steps, knee: found.knee, breaking: found.breaking, kneeRequestsPerSecond: kneeStep?.throughput)
        } else if let c = scenario as? CapacityScenario {
            let sweep = try c.sweep(profile: options.profile, overrides: options.overrides)
            var parts: [RunResult] = []
            var levels: [CapacityLevel] = []
            for vus in sweep.levels where !control.isInterrupted {
                let r = try await load(CapacityScenario.levelPlan(vus: vus, seconds: sweep.seconds))
                parts.append(r)
                let step = StepResult(measured: r, rate: Double(vus))
                levels.append(CapacityLevel(vus: vus, throughput: r.throughput, p99Ms: step.p99Ms, errorRate: step.errorRate, pass: step.pass))
            }
            result = RunResult.sequential(parts)
            capacity = CapacityScenario.analyze(levels, target: sweep.target)
        } else {
            result = try await load(plan)
        }
        var spike: SpikeOutcome?
        if let s = scenario as? SpikeScenario {
            let shape = try s.shape(profile: options.profile, overrides: options.overrides)
            spike = SpikeAnalysis.analyze(result.intervals, start: shape.start, end: shape.end)
        }
        let resources = monitor.stop()
        var endurance: EnduranceOutcome?
        if scenario is EnduranceScenario {
            let after = Self.databaseBytes(endpoints.databaseURL)
            endurance = EnduranceScenario.analyze(result.intervals, resources: resources,
                                                  databaseBytes: dbBefore.flatMap { b in after.map { [b, $0] } })
        }
        return ScenarioOutcome(scenario: scenario.name, profile: options.profile, describe: plan.describe, kpiSet: plan.kpiSet,
                               target: endpoints.target, embedded: existing == nil && owned != nil, result: result, stress: stress, spike: spike,
                               endurance: endurance, capacity: capacity, resources: resources)
    }

    /// pg_database_size through psql, or nil when there is no database URL or no psql.
    static func databaseBytes(_ url: String?) -> Int64? {
        guard let url, let out = try? ManagedProcess.runToEnd("/usr/bin/psql", [url, "-Atc", "SELECT pg_database_size(current_database())"]),
              out.status == 0 else { return nil }
        return Int64(out.output.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Seeds through `campaignd seed` when the database is reachable; otherwise assumes the standard users exist.
    func seed(_ req: SeedRequest, endpoints: StackEndpoints, binary: String?, password: String) throws -> [String] {
        guard let db = endpoints.databaseURL else {
            return (1...req.tenants).flatMap { t in (1...req.usersPerTenant).map { "user\($0)@tenant\(t).example" } }
        }
        let exe = try CampaignServer.locate(binary)
        let out = try ManagedProcess.runToEnd(exe, [
            "seed", "--database-url", db, "--tenants", String(req.tenants), "--users-per-tenant", String(req.usersPerTenant),
            "--contacts", String(req.contacts), "--password", password,
        ])
        guard out.status == 0 else { throw StackError("seeding failed (exit \(out.status)): \(out.output.suffix(800))") }
        let users = out.output.split(separator: "\n").map(String.init).filter { $0.contains("@") }
        guard !users.isEmpty else { throw StackError("seeding produced no users") }
        return users
    }
}
