import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Harness
import Environment

/// Starts (or reaches) the stack, seeds it, runs the load, and tears the stack down.
public struct ScenarioRunner: Sendable {
    public init() {}

    /// Runs `scenario`. `sinks` see each interval as it completes; `control` lets a signal stop the run.
    /// `stack`, when given, is used as is and left running (tests inspect it afterwards).
    /// `onResources` receives each second's process samples (to append them to disk as the run goes).
    public func run(_ scenario: any Scenario, options: RunOptions, sinks: [any IntervalSink] = [],
                    control: RunControl = RunControl(), stack existing: Stack? = nil,
                    onResources: (@Sendable ([String: ResourceRow]) -> Void)? = nil,
                    onServices: (@Sendable (ServiceRow) -> Void)? = nil,
                    progress: @escaping @Sendable (String) -> Void = { _ in }) async throws -> ScenarioOutcome {
        var outcomes: [ScenarioOutcome] = []
        for _ in 0..<max(1, options.trials) where !control.isInterrupted || outcomes.isEmpty {
            outcomes.append(try await runOnce(scenario, options: options, sinks: sinks, control: control, stack: existing,
                                              onResources: onResources, onServices: onServices, progress: progress))
        }
        return Self.combine(outcomes)
    }

    /// Trials run one after another, as one outcome: request results merge exactly, campaignd's cache and
    /// statement counters add up; resources and the profile are the last trial's.
    public static func combine(_ outcomes: [ScenarioOutcome]) -> ScenarioOutcome {
        let trials = outcomes.flatMap { $0.trials.isEmpty ? [$0] : $0.trials }
        var first = trials[0]
        first.result = RunResult.sequential(trials.map(\.result))
        if trials.count > 1 { first.describe += ", \(trials.count) trials" }
        first.resources = trials.last!.resources
        first.services = ServiceSummary.combined(trials.compactMap(\.services))
        first.serverProfile = trials.last!.serverProfile
        first.profileNote = trials.last!.profileNote
        first.trials = trials
        return first
    }

    /// The load as reports name it, with the faults given on the command line: what a baseline must match.
    /// `--target http://a:8080,http://b:8080`: each URL of a comma-separated list.
    public static func targetURLs(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    public static func describe(_ plan: ScenarioPlan, _ options: RunOptions) -> String {
        plan.describe + (options.faults.isEmpty ? "" : ", faults " + options.faults.map(\.description).joined(separator: " "))
    }

    /// The faults a run of `scenario` carries out, checked against its plan and where it runs (which must also have
    /// the mail sink the scenario reads); nil for none.
    public static func faultTimeline(_ scenario: any Scenario, plan: ScenarioPlan, options: RunOptions) throws(UsageError) -> FaultTimeline? {
        if let why = plan.sink.problem(scenario: scenario.name, target: options.target, sinkURL: options.sinkURL) { throw UsageError(why) }
        let faults = options.faults.isEmpty ? scenario.defaultFaults(plan: plan) : options.faults
        guard !faults.isEmpty else { return nil }
        guard let horizon = scenario.faultHorizon(plan: plan) else {
            throw UsageError("\(scenario.name) cannot carry faults (--fault): basic, spike, endurance, send, chaos and scenario files can")
        }
        guard options.target == nil else { throw UsageError("--fault needs the embedded stack: against --target, Mailstorm does not own the servers") }
        for f in faults {
            if f.component == .postgres || f.component == .postgresNet, options.stack.databaseURL != nil {
                throw UsageError("--fault '\(f)': PostgreSQL is external (--database-url); only servers the stack starts can be faulted")
            }
            if f.component == .redis || f.component == .redisNet, options.stack.redisURL != nil {
                throw UsageError("--fault '\(f)': Redis is external (--redis-url); only servers the stack starts can be faulted")
            }
            if f.component == .sink, !options.stack.sink { throw UsageError("--fault '\(f)': this run has no mail sink") }
        }
        do { return try FaultTimeline(faults, runSeconds: horizon) } catch { throw UsageError("--fault: \(error)") }
    }

    func runOnce(_ scenario: any Scenario, options: RunOptions, sinks: [any IntervalSink], control: RunControl, stack existing: Stack?,
                 onResources: (@Sendable ([String: ResourceRow]) -> Void)?, onServices: (@Sendable (ServiceRow) -> Void)?,
                 progress: @escaping @Sendable (String) -> Void) async throws -> ScenarioOutcome {
        let plan = try scenario.plan(profile: options.profile, overrides: options.overrides)
        let timeline = try Self.faultTimeline(scenario, plan: plan, options: options)
        var stackOptions = options.stack
        if timeline?.faults.contains(where: { $0.component == .postgresNet || $0.component == .redisNet }) == true {
            stackOptions.faultProxies = true
        }
        var wanted = plan.campaigndArguments[...]
        while let flag = wanted.first {
            let value = wanted.dropFirst().first.flatMap { $0.hasPrefix("--") ? nil : $0 }
            if !stackOptions.campaigndArguments.contains(where: { $0 == flag || $0.hasPrefix(flag + "=") }) { stackOptions.campaigndArguments += [flag] + (value.map { [$0] } ?? []) }
            wanted = wanted.dropFirst(value == nil ? 1 : 2)
        }
        var endpoints: StackEndpoints
        var owned: Stack?
        if let existing {
            endpoints = existing.endpoints
        } else if let t = options.target {
            let urls = Self.targetURLs(t)
            for u in urls { _ = try TargetAddress(url: u) }
            endpoints = StackEndpoints(target: urls[0], databaseURL: options.stack.databaseURL, redisURL: options.stack.redisURL, sinkURL: options.sinkURL)
        } else {
            let s = try Stack.up(stackOptions)
            owned = s
            endpoints = s.endpoints
        }
        defer { owned?.down() }
        let target = try TargetAddress(url: endpoints.target)
        // `--target a,b`: the other instances of the same deployment, used round robin (the first is monitored).
        let moreTargets = existing == nil ? try Self.targetURLs(options.target ?? "").dropFirst().map { try TargetAddress(url: $0) } : []
        let running = existing ?? owned
        let users = try seed(plan.seed, endpoints: endpoints, binary: running?.campaigndBinary ?? options.stack.campaignd,
                             password: options.password)
        // The seed's upkeep is done before the load, not inside it: a 1M send met a checkpoint and autovacuum's pass
        // over the new contacts (pgbench -i vacuums after loading too). Only in a stack this run started, whose
        // PostgreSQL the harness runs as superuser; the seeder's backends have ended, so their counts are in.
        let ownsDatabase = owned != nil && options.stack.databaseURL == nil
        if ownsDatabase, let db = endpoints.databaseURL {
            let done = try ManagedProcess.runToEnd("/usr/bin/psql", [db, "-Atq", "-c", "VACUUM (ANALYZE) contacts", "-c", "CHECKPOINT"])
            guard done.status == 0 else { throw StackError("upkeep after seeding failed: \(done.output.suffix(400))") }
        }
        guard !control.isInterrupted else { throw StackError("interrupted before the load started") }
        // The harness itself and, with the embedded stack, every server (PostgreSQL with its backends).
        let monitor = ResourceMonitor(following: { (running?.pids ?? [:]).merging(["mailstorm": getpid()]) { a, _ in a } },
                                      own: ["mailstorm"], onSample: onResources)
        monitor.start()
        defer { _ = monitor.stop() }
        let services = ServiceSampler(databaseURL: endpoints.databaseURL, redisURL: endpoints.redisURL, appURL: endpoints.target,
                                      onRow: onServices)
        services.start()
        var profiler: ServerProfiler? = nil
        if options.profileServer, let pid = running?.pids["campaignd"], let dir = options.profileDirectory {
            profiler = ServerProfiler(pid: pid, directory: dir)
            profiler?.start()
        }
        let threads = options.threads
        let windowHistograms = timeline.map { FaultWindowHistograms(timeline: $0) }
        let sinks: [any IntervalSink] = sinks + (windowHistograms.map { [$0 as any IntervalSink] } ?? [])
        let ctx = ScenarioContext(
            profile: options.profile, overrides: options.overrides, options: options, endpoints: endpoints, stack: running,
            users: users, password: options.password, control: control, faults: timeline?.faults ?? [], progress: progress,
            runLoad: { p, rows in
                var lp = p.loadPlan(target: target, users: users, password: options.password, threads: threads, rows: rows)
                lp.captureServerTiming = options.profileServer
                lp.segment = options.segment
                lp.moreTargets = moreTargets
                if let at = options.startAt {
                    let wait = at.timeIntervalSinceNow
                    if wait > 0 { try await Task.sleep(for: .seconds(wait)) }
                }
                let runner = LoadRunner(plan: lp, sinks: sinks)
                control.attach(runner)
                let r = try await runner.run()
                if let dead = running?.deadServer { throw StackError("\(dead) died during the run") }
                return r
            })
        // Faults run from the scenario's start; the load's seconds are counted from its own start, a moment later.
        let faults = try FaultRun(timeline: timeline, stack: running)
        let e0: ScenarioExecution
        do { e0 = try await scenario.execute(ctx, plan: plan) } catch { await faults?.stop(); _ = services.stop(); _ = profiler?.stop(); throw error }
        var e = e0
        var faultOutcome = await faults?.judge(e.result, histograms: windowHistograms?.histograms ?? [:])
        if let repeats = e.results.first(EmailOutcome.self)?.repeatsPerSecond, let sent = e.sendStartedAt {
            faultOutcome?.attribute(repeats: repeats, offset: sent.timeIntervalSince(e.result.startedAt), perFault: e.repeatsPerFault)
        }
        let resources = monitor.stop()
        let serviceSummary = services.stop()
        let profile = profiler?.stop()
        scenario.conclude(&e, resources: resources, ctx: ctx)
        var outcome = ScenarioOutcome(scenario: scenario.name, profile: options.profile, describe: Self.describe(plan, options), kpiSet: plan.kpiSet,
                                      target: endpoints.target, embedded: existing == nil && owned != nil, execution: e, resources: resources)
        outcome.faults = faultOutcome
        outcome.thresholds = plan.thresholds
        outcome.services = serviceSummary
        outcome.serverProfile = profile
        // Servers the run does not own would count as other work.
        let ownsAll = ownsDatabase && options.stack.redisURL == nil
        outcome.hostLoad = ownsAll ? monitor.hostLoad : nil
        if options.profileServer {
            outcome.profileNote = running?.pids["campaignd"] == nil ? "no perf profile: campaignd is not a process of this run (a --target run)"
                : profiler?.unavailable.map { "no perf profile: \($0)" }
        }
        return outcome
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
        let out = try ManagedProcess.runToEnd(exe, req.campaigndArguments(databaseURL: db) + ["--password", password, "--quiet"])
        guard out.status == 0 else { throw StackError("seeding failed (exit \(out.status)): \(out.output.suffix(800))") }
        let users = out.output.split(separator: "\n").map(String.init).filter { $0.contains("@") }
        guard !users.isEmpty else { throw StackError("seeding produced no users") }
        return users
    }
}
