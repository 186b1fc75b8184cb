import ArgumentParser
import CommandLineSupport
import Foundation
import SystemUnderTest

/// campaignd: the campaign platform that Mailstorm drives. This file only parses, wires and runs.
@main
struct Campaignd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "campaignd", abstract: "The email-campaign platform under test.",
        subcommands: [Serve.self, Migrate.self, Seed.self], defaultSubcommand: Serve.self)

    static func main() async { await mainExitingOnUsageErrors() }
}

struct StorageOptions: ParsableArguments {
    @Option(help: "PostgreSQL URL.") var databaseURL = "postgresql://postgres@127.0.0.1:5432/mailstorm"
    @Option(help: "Redis URL.") var redisURL = "redis://127.0.0.1:6379"

    /// Every subcommand's URLs are read before anything connects: a bad one is exit 2 naming it, not exit 3.
    func validate() throws {
        do {
            try PostgresConnection.checkURL(databaseURL)
            _ = try RedisCache.parse(redisURL)
        } catch { throw ValidationError("\(error)") }
    }
}

/// Exit codes shared with mailstorm: 2 bad configuration, 3 infrastructure unreachable.
func fail(_ message: String, code: Int32) -> ExitCode {
    warn(message)
    return ExitCode(code)
}

func warn(_ message: String) {
    FileHandle.standardError.write(Data("campaignd: \(message)\n".utf8))
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run migrations and serve the HTTP API.")
    @OptionGroup var storage: StorageOptions
    @Option(help: "Address to bind.") var host = "127.0.0.1"
    @Option(help: "Port to bind; 0 picks a free one (printed on start).") var port = 8080
    @Option(help: "PostgreSQL connections at most (one thread each; default 3 per core, 4 to 32).") var dbPool = CampaignConfig.defaultDBPool
    @Option(help: "PostgreSQL connections opened at start.") var dbPoolMin = 4
    @Option(help: "Redis connections (one thread each).") var redisPool = 4
    @Option(help: "Logins hashing a password at once (0: half of --db-pool).") var loginConcurrency = 0
    @Option(help: "Cancel an API statement after this many milliseconds (0: never).") var statementTimeoutMs = 10_000
    @Option(help: "Close an HTTP connection idle this many seconds (0: never).") var idleTimeoutS = 60
    @Option(help: "Add latency to a route, \"METHOD /path=MS\" (\"*=MS\" for all); repeatable.") var injectDelay: [String] = []
    @Option(help: "Burn CPU on a route, \"METHOD /path=MS\" (\"*=MS\" for all): a known hot spot for profiles; repeatable.") var injectCpu: [String] = []
    @Option(help: "Keep this many bytes for good per request: a leak, for testing endurance verdicts.") var injectLeak = 0
    @Option(help: "Requests per second per user on /api (0: no limit).") var rateLimit = 100
    @Option(help: "Entries in the in-process L1 cache.") var l1Capacity = 10_000
    @Option(help: "Bytes the in-process L1 cache may hold, keys and values.") var l1MaxBytes = 64 << 20
    @Option(help: "Shared secret (16+ characters) the email provider sends with webhooks; required, or CAMPAIGND_WEBHOOK_SECRET.") var webhookSecret: String?
    @Option(help: "Where to deliver mail: smtp://host:port or http(s)://host/path (a provider API). None: no sender.") var mailURL: String?
    @Option(help: "Sender threads, each with a PostgreSQL and a transport connection (default: 8 for SMTP, 4 for HTTP).") var sendThreads: Int?
    @Option(help: "Messages per second to the provider, shared by all instances through Redis (0: unlimited).") var sendRate = 0.0
    @Option(help: "First retry delay in milliseconds; doubles per attempt, with jitter.") var retryBaseMs = 1000.0
    @Option(help: "Attempts before a transiently failing message is marked failed.") var maxAttempts = 5
    @Option(help: "Base URL of tracking links in sent mail (default: the bound address).") var publicURL: String?
    @Option(help: "Where request handlers run: event-loop (the loop that read the request) or cooperative (Swift's task pool).") var handlersOn = HandlerExecutor.eventLoop
    @Option(help: "Queued messages at most before recipients are resolved further (0: resolve a campaign whole at once).") var outboxAhead = 20_000

    func validate() throws {
        guard rateLimit >= 0 else { throw ValidationError("--rate-limit must not be negative") }
        guard (0...(1 << 20)).contains(injectLeak) else { throw ValidationError("--inject-leak must be 0 to 1048576 bytes") }
        guard l1Capacity >= 1 else { throw ValidationError("--l1-capacity must be at least 1") }
        guard l1MaxBytes >= 4096 else { throw ValidationError("--l1-max-bytes must be at least 4096") }
        guard dbPool >= 1, redisPool >= 1 else { throw ValidationError("--db-pool and --redis-pool must be at least 1") }
        guard (0...dbPool).contains(loginConcurrency) else { throw ValidationError("--login-concurrency must be 0 (half of --db-pool) to --db-pool (\(dbPool))") }
        guard idleTimeoutS >= 0 else { throw ValidationError("--idle-timeout-s must not be negative") }
        guard statementTimeoutMs >= 0 else { throw ValidationError("--statement-timeout-ms must not be negative") }
        guard sendThreads.map({ (1...64).contains($0) }) ?? true else { throw ValidationError("--send-threads must be 1 to 64") }
        guard sendRate >= 0 else { throw ValidationError("--send-rate must not be negative") }
        guard outboxAhead >= 0 else { throw ValidationError("--outbox-ahead must not be negative") }
        // Upper bounds: each pool connection is a thread and a backend; past a day a timeout's nanoseconds overflow.
        guard (0...65_535).contains(port) else { throw ValidationError("--port must be 0 to 65535") }
        guard dbPool <= 256, redisPool <= 256, dbPoolMin <= 256 else { throw ValidationError("--db-pool, --db-pool-min and --redis-pool must be at most 256") }
        guard statementTimeoutMs <= 86_400_000, idleTimeoutS <= 86_400 else { throw ValidationError("--statement-timeout-ms and --idle-timeout-s must be at most a day") }
        guard retryBaseMs <= 3_600_000, sendRate <= 10_000_000, outboxAhead <= 100_000_000 else {
            throw ValidationError("--retry-base-ms must be at most 3600000, --send-rate at most 10000000 and --outbox-ahead at most 100000000")
        }
        guard retryBaseMs > 0, (1...20).contains(maxAttempts) else { throw ValidationError("--retry-base-ms must be positive and --max-attempts 1 to 20") }
    }

    func run() async throws {
        var config = CampaignConfig(databaseURL: storage.databaseURL, redisURL: storage.redisURL)
        config.host = host
        config.port = port
        config.dbPoolSize = dbPool
        config.dbPoolMin = min(dbPoolMin, dbPool)
        config.loginConcurrency = loginConcurrency
        config.redisPoolSize = redisPool
        config.statementTimeoutMs = statementTimeoutMs
        config.idleTimeoutSeconds = idleTimeoutS
        config.injectDelays = injectDelay
        config.injectCPU = injectCpu
        config.injectLeakBytes = injectLeak
        config.rateLimit = rateLimit
        config.l1Capacity = l1Capacity
        config.l1MaxBytes = l1MaxBytes
        config.webhookSecret = webhookSecret ?? ProcessInfo.processInfo.environment["CAMPAIGND_WEBHOOK_SECRET"] ?? ""
        config.publicURL = publicURL
        config.handlersOn = handlersOn
        if let mailURL {
            var sc = SenderConfig(mailURL: mailURL)
            sc.threads = sendThreads
            sc.rate = sendRate
            sc.outboxAhead = outboxAhead
            sc.retry = RetryPolicy(base: retryBaseMs / 1000, maxAttempts: maxAttempts)
            config.sender = sc
        }
        let app: CampaignApp
        do {
            app = try await CampaignApp.make(config)
        } catch let e as ConfigError {
            throw fail(e.description, code: 2)
        } catch let e as CacheError {
            throw fail(e.description, code: 2)
        } catch {
            throw fail("cannot start: \(error)", code: 3)
        }
        let server = try app.application { port in
            app.sender?.start(publicURL: publicURL ?? "http://\(host):\(port)")
            // Written straight to fd 1, unbuffered: the harness waits for this line.
            FileHandle.standardOutput.write(Data("campaignd listening on \(host):\(port)\n".utf8))
        }
        let background = Task { await app.runBackground() }
        // SIGTERM or SIGINT: runService returns once in-flight requests are answered; then the rest drains.
        try await app.serve(server)
        let lost = await app.drain(background: background)
        if lost > 0 { warn("\(lost) opens and clicks not written: the database stayed away") }
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending schema migrations and exit.")
    @OptionGroup var storage: StorageOptions

    func run() async throws {
        let db = Database(url: storage.databaseURL, size: 1)
        do {
            let applied = try await db.migrate()
            print(applied.isEmpty ? "schema up to date" : "applied migrations \(applied.map(String.init).joined(separator: ", "))")
        } catch {
            throw fail("migration failed: \(error)", code: 3)
        }
    }
}

struct Seed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create synthetic tenants, users and contacts.")
    @OptionGroup var storage: StorageOptions
    @Option(help: "Tenants.") var tenants = 2
    @Option(help: "Users per tenant.") var usersPerTenant = 50
    @Option(help: "Contacts wanted in all, spread over the tenants; only the missing ones are added.") var contacts = 1000
    @Option(help: "Draft campaigns each tenant already has; only the missing ones are added.") var campaignsPerTenant = 0
    @Flag(help: "No progress bar on stderr.") var quiet = false
    @Flag(help: "Make every contact subscribed (by default 5% are unsubscribed or bounced).") var allActive = false
    @Option(help: "Every user's password.") var password = "mailstorm-pass"
    @Option(help: "bcrypt cost for the password hashes (4-12).") var kdfCost = 6

    func validate() throws {
        guard (1...10_000).contains(tenants) else { throw ValidationError("--tenants must be 1 to 10000") }
        guard (1...100_000).contains(usersPerTenant) else { throw ValidationError("--users-per-tenant must be 1 to 100000") }
        guard (0...100_000_000).contains(contacts) else { throw ValidationError("--contacts must be 0 to 100000000") }
        guard (0...1_000_000).contains(campaignsPerTenant) else { throw ValidationError("--campaigns-per-tenant must be 0 to 1000000") }
        guard (4...12).contains(kdfCost) else { throw ValidationError("--kdf-cost must be 4 to 12") }
    }

    func run() async throws {
        let db = Database(url: storage.databaseURL, size: 2)
        var plan = Seeder.Plan()
        plan.tenants = tenants
        plan.usersPerTenant = usersPerTenant
        plan.contacts = contacts
        plan.password = password
        plan.kdfCost = kdfCost
        plan.allActive = allActive
        plan.campaignsPerTenant = campaignsPerTenant
        do {
            _ = try await db.migrate()
            let bar = ProgressBar(label: "contacts", enabled: !quiet)
            let users = try await Seeder(db: db).run(plan) { done, total in bar.update(done, total) }
            bar.finish()
            // One email per line on stdout: the harness reads them as its user pool.
            print(users.joined(separator: "\n"))
        } catch {
            throw fail("seed failed: \(error)", code: 3)
        }
    }
}

/// A progress bar on stderr: redrawn in place on a terminal, a line per 10% otherwise.
final class ProgressBar: @unchecked Sendable {
    let label: String
    let enabled: Bool
    let tty = isatty(2) == 1
    let start = Date()
    var lastDecile = -1

    init(label: String, enabled: Bool) {
        self.label = label
        self.enabled = enabled
    }

    func update(_ done: Int, _ total: Int) {
        guard enabled, total > 0 else { return }
        let frac = Double(done) / Double(total)
        let rate = Double(done) / max(Date().timeIntervalSince(start), 0.001)
        let text = String(format: "%@ %9d/%d %5.1f%% %8.0f/s", label, done, total, frac * 100, rate)
        if tty {
            let width = 30, filled = Int(frac * Double(width))
            FileHandle.standardError.write(Data(("\r[" + String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled) + "] " + text).utf8))
        } else if Int(frac * 10) > lastDecile {
            lastDecile = Int(frac * 10)
            FileHandle.standardError.write(Data((text + "\n").utf8))
        }
    }

    func finish() {
        guard enabled else { return }
        let line = String(format: "%@ done in %.1f s\n", label, Date().timeIntervalSince(start))
        FileHandle.standardError.write(Data(((tty ? "\n" : "") + line).utf8))
    }
}

extension HandlerExecutor: ExpressibleByArgument {}
