import Foundation
import Harness

/// Where a run sends its load, and where the system's storage lives (for seeding).
public struct StackEndpoints: Sendable, Codable, Equatable {
    public var target: String
    public var databaseURL: String?
    public var redisURL: String?
    /// The mail sink's HTTP side (GET /stats), when there is one.
    public var sinkURL: String?
    public init(target: String, databaseURL: String? = nil, redisURL: String? = nil, sinkURL: String? = nil) {
        self.target = target
        self.databaseURL = databaseURL
        self.redisURL = redisURL
        self.sinkURL = sinkURL
    }
}

/// Options for the embedded stack.
public struct StackOptions: Sendable {
    /// campaignd binary; default: beside this executable.
    public var campaignd: String?
    /// Extra `campaignd serve` arguments (e.g. an injected delay).
    public var campaigndArguments: [String]
    /// Leave the temporary directory (logs, data) behind for inspection.
    public var keepDirectory: Bool
    /// Use an existing PostgreSQL instead of starting one.
    public var databaseURL: String?
    /// Use an existing Redis instead of starting one.
    public var redisURL: String?
    /// Start the mail sink and point campaignd's sender at it (unless the arguments name a --mail-url).
    public var sink = true
    /// The sender's transport to the sink.
    public var transport = MailTransportKind.smtp
    public var faults = FaultPlan()
    public var engagement = EngagementPlan()
    /// Put a fault proxy between campaignd and each of PostgreSQL and Redis, for network faults.
    public var faultProxies = false

    public init(campaignd: String? = nil, campaigndArguments: [String] = [], keepDirectory: Bool = false,
                databaseURL: String? = nil, redisURL: String? = nil) {
        self.campaignd = campaignd
        self.campaigndArguments = campaigndArguments
        self.keepDirectory = keepDirectory
        self.databaseURL = databaseURL
        self.redisURL = redisURL
    }
}

/// How campaignd delivers to the sink.
public enum MailTransportKind: String, Sendable, CaseIterable, Codable {
    case smtp, http
}

/// The embedded default: ephemeral PostgreSQL, Redis and campaignd on loopback, torn down with `down()`.
public final class Stack: @unchecked Sendable {
    public let directory: String
    public let endpoints: StackEndpoints
    public let campaigndBinary: String
    /// The mail sink, when the stack started one.
    public let sink: MailSink?
    private let lock = NSLock()
    private var processes: [ManagedProcess]
    private let keep: Bool
    /// How to start each server again on its port with its data, after a planned fault.
    let restarts: [String: @Sendable () throws -> ManagedProcess]
    /// Servers down on purpose (a fault in progress): not a death.
    private var plannedDown: Set<String> = []
    /// The fault proxies campaignd talks through, when asked for.
    public let proxies: [FaultSpec.Component: FaultProxy]
    /// The sink's fault plan from before a sink fault, to restore after it.
    var sinkPlanBeforeFault: FaultPlan?

    /// Process ids of the stack's servers, for resource sampling.
    public var pids: [String: Int32] {
        lock.lock(); defer { lock.unlock() }
        return Dictionary(processes.map { ($0.name, $0.pid) }, uniquingKeysWith: { a, _ in a })
    }

    /// Starts whatever `options` does not point elsewhere, waits for readiness, and registers for teardown on signals.
    public static func up(_ options: StackOptions = StackOptions()) throws(StackError) -> Stack {
        do {
            let binary = try CampaignServer.locate(options.campaignd)
            removeStaleDirectories()
            let dir = NSTemporaryDirectory() + "mailstorm-stack-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            var started: [ManagedProcess] = []
            var restarts: [String: @Sendable () throws -> ManagedProcess] = [:]
            var proxies: [FaultSpec.Component: FaultProxy] = [:]
            func fail(_ error: Error) -> StackError {
                for p in started.reversed() { p.stop() }
                for p in proxies.values { p.stop() }
                if !options.keepDirectory { try? FileManager.default.removeItem(atPath: dir) }
                return error as? StackError ?? StackError("\(error)")
            }
            do {
                var dbURL = options.databaseURL
                if dbURL == nil {
                    let memory = Machine.current.memoryBytes
                    let pg = try PostgresServer(directory: dir, memoryBytes: memory)
                    started.append(pg.process)
                    dbURL = pg.databaseURL
                    let port = pg.port
                    restarts["postgres"] = { try PostgresServer(directory: dir, memoryBytes: memory, port: port).process }
                }
                var redisURL = options.redisURL
                if redisURL == nil {
                    let redis = try RedisServer(directory: dir)
                    started.append(redis.process)
                    redisURL = redis.url
                    let port = redis.port
                    restarts["redis"] = { try RedisServer(directory: dir, port: port).process }
                }
                // campaignd's view of its storage: straight, or through a fault proxy each.
                var appDB = dbURL!, appRedis = redisURL!
                if options.faultProxies {
                    let pgProxy = try FaultProxy(upstreamPort: try Self.port(of: appDB))
                    proxies[.postgresNet] = pgProxy
                    appDB = try Self.url(appDB, port: pgProxy.port)
                    let redisProxy = try FaultProxy(upstreamPort: try Self.port(of: appRedis))
                    proxies[.redisNet] = redisProxy
                    appRedis = try Self.url(appRedis, port: redisProxy.port)
                }
                var args = options.campaigndArguments
                var sink: MailSink? = nil
                if options.sink {
                    let s = try MailSink(faults: options.faults, engagement: options.engagement)
                    sink = s
                    if !args.contains("--mail-url") { args += ["--mail-url", options.transport == .smtp ? s.smtpURL : s.providerURL] }
                }
                let app: CampaignServer
                do {
                    app = try CampaignServer(binary: binary, directory: dir, databaseURL: appDB, redisURL: appRedis, extraArguments: args)
                } catch {
                    sink?.stop()
                    throw error
                }
                started.append(app.process)
                let (appArgs, appPort, appDBURL, appRedisURL) = (args, app.port, appDB, appRedis)
                restarts["campaignd"] = {
                    try CampaignServer(binary: binary, directory: dir, databaseURL: appDBURL, redisURL: appRedisURL, extraArguments: appArgs, port: appPort).process
                }
                sink?.engagement.plan.campaigndURL = app.url
                let stack = Stack(directory: dir, endpoints: StackEndpoints(target: app.url, databaseURL: dbURL, redisURL: redisURL,
                                                                            sinkURL: sink.map { "http://127.0.0.1:\($0.httpPort)" }),
                                  binary: binary, processes: started, sink: sink, keep: options.keepDirectory, restarts: restarts, proxies: proxies)
                StackRegistry.shared.add(stack)
                return stack
            } catch {
                throw fail(error)
            }
        } catch let e as StackError {
            throw e
        } catch {
            throw StackError("\(error)")
        }
    }

    private init(directory: String, endpoints: StackEndpoints, binary: String, processes: [ManagedProcess], sink: MailSink?, keep: Bool,
                 restarts: [String: @Sendable () throws -> ManagedProcess], proxies: [FaultSpec.Component: FaultProxy]) {
        self.restarts = restarts
        self.proxies = proxies
        self.directory = directory
        self.sink = sink
        self.endpoints = endpoints
        self.campaigndBinary = binary
        self.processes = processes
        self.keep = keep
    }

    /// Stops campaignd, then Redis, then PostgreSQL, reaps them, and deletes the directory. Safe to call twice.
    public func down() {
        lock.lock()
        let procs = processes
        processes = []
        lock.unlock()
        guard !procs.isEmpty else { return }
        for p in procs.reversed() { p.stop() }
        for p in proxies.values { p.stop() }
        sink?.stop()
        if !keep { try? FileManager.default.removeItem(atPath: directory) }
        StackRegistry.shared.remove(self)
    }

    /// The server whose process has died, if any (a crash mid-run is an infrastructure failure).
    public var deadServer: String? {
        lock.lock(); defer { lock.unlock() }
        return processes.first { !$0.isRunning && !plannedDown.contains($0.name) }?.name
    }

    /// The running process of server `name`.
    func process(_ name: String) -> ManagedProcess? {
        lock.lock(); defer { lock.unlock() }
        return processes.first { $0.name == name }
    }

    /// Marks `name` down on purpose (true) or back (false, with the process that replaced it).
    func setPlannedDown(_ name: String, _ isDown: Bool, replacement: ManagedProcess? = nil) {
        lock.lock(); defer { lock.unlock() }
        if isDown { plannedDown.insert(name) } else { plannedDown.remove(name) }
        if let r = replacement, let i = processes.firstIndex(where: { $0.name == name }) { processes[i] = r }
    }

    static func port(of url: String) throws -> Int {
        guard let p = URLComponents(string: url)?.port else { throw StackError("no port in '\(url)'") }
        return p
    }

    static func url(_ url: String, port: Int) throws -> String {
        guard var c = URLComponents(string: url) else { throw StackError("not a URL: '\(url)'") }
        c.port = port
        return c.string ?? url
    }

    /// Removes directories left by harness processes that no longer exist (killed with SIGKILL, say).
    static func removeStaleDirectories() {
        let tmp = NSTemporaryDirectory()
        for name in (try? FileManager.default.contentsOfDirectory(atPath: tmp)) ?? [] where name.hasPrefix("mailstorm-stack-") {
            let parts = name.split(separator: "-")
            guard parts.count >= 3, let pid = Int32(parts[2]), pid != getpid(), kill(pid, 0) != 0, errno == ESRCH else { continue }
            try? FileManager.default.removeItem(atPath: tmp + name)
        }
    }
}

/// Stacks alive in this process, so that a signal can tear them all down.
public final class StackRegistry: @unchecked Sendable {
    public static let shared = StackRegistry()
    private let lock = NSLock()
    private var stacks: [ObjectIdentifier: Stack] = [:]

    func add(_ s: Stack) { lock.lock(); stacks[ObjectIdentifier(s)] = s; lock.unlock() }
    func remove(_ s: Stack) { lock.lock(); stacks[ObjectIdentifier(s)] = nil; lock.unlock() }

    /// Tears down every live stack.
    public func downAll() {
        lock.lock()
        let all = Array(stacks.values)
        lock.unlock()
        all.forEach { $0.down() }
    }
}
