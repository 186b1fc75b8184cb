import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOPosix

/// campaignd's settings.
public struct CampaignConfig: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    public var databaseURL: String
    public var redisURL: String
    public var dbPoolSize = CampaignConfig.defaultDBPool
    /// Three connections per core, 4 to 32. Each busy connection is a runnable PostgreSQL backend: with 16 on 2
    /// cores, commits convoyed on the WAL lock behind descheduled backends, and the api mix's knee was 550, 957
    /// and 1,069 iterations/s against 1,435, 1,069 and 1,238 with 6 (runs paired in turn); seed 000's stress knee
    /// stayed 945 req/s.
    public static let defaultDBPool = min(32, max(4, 3 * ProcessInfo.processInfo.activeProcessorCount))
    /// Connections opened at start; the rest open on demand, up to `dbPoolSize`.
    public var dbPoolMin = 4
    public var redisPoolSize = 4
    /// Logins hashing a password at once; 0: half the pool.
    public var loginConcurrency = 0
    /// The login turns in effect: at most half the pool by default, so that a flood of logins leaves the other
    /// routes connections.
    public var loginTurns: Int { loginConcurrency > 0 ? loginConcurrency : max(dbPoolSize / 2, 1) }
    /// API statements running longer are cancelled (ms; 0: no limit), so a stuck one frees its connection.
    public var statementTimeoutMs = 10_000
    /// Seconds an HTTP connection may stay idle before campaignd closes it (0: never).
    public var idleTimeoutSeconds = 60
    public var injectDelays: [String] = []
    /// `--inject-cpu`: CPU burnt per route, a known hot spot for profiles.
    public var injectCPU: [String] = []
    /// Bytes kept for good per request (`--inject-leak`); 0: none.
    public var injectLeakBytes = 0
    /// Requests per second per user; 0 disables (seed 000's 100 r/s by default).
    public var rateLimit = RateLimiter.defaultLimit
    /// Entries in the in-process L1 cache.
    public var l1Capacity = 10_000
    /// Bytes the L1 cache may hold.
    public var l1MaxBytes = 64 << 20
    /// The provider's webhook secret (Authorization: Bearer ...); required, and no default anyone could guess.
    public var webhookSecret = ""
    /// The sender; nil: campaigns can be started but nothing is delivered.
    public var sender: SenderConfig?
    /// Where tracking links point; default: the bound address.
    public var publicURL: String?
    /// Where request handlers run (`--handlers-on`).
    public var handlersOn = HandlerExecutor.eventLoop

    public init(databaseURL: String, redisURL: String) {
        self.databaseURL = databaseURL
        self.redisURL = redisURL
    }

    /// What a flag can get wrong, checked before connecting to anything: a bad URL exits 2 naming it, where it
    /// was found after PostgreSQL's migrations had run (and, with the database down, reported as exit 3).
    public func check() throws {
        guard webhookSecret.utf8.count >= 16 else {
            throw ConfigError("a webhook secret of 16 characters or more is required (--webhook-secret or CAMPAIGND_WEBHOOK_SECRET)")
        }
        try PostgresConnection.checkURL(databaseURL)
        _ = try RedisCache.parse(redisURL)
        if let sender { try checkMailURL(sender.mailURL) }
        if let publicURL, !Self.isHTTP(publicURL) { throw ConfigError("--public-url '\(publicURL)': expected http(s)://host[:port][/path]") }
        _ = try InjectedDelays(injectDelays)
        _ = try InjectedDelays(injectCPU, flag: "--inject-cpu")
    }

    /// An http or https URL with a host and, if any, a port in range.
    static func isHTTP(_ url: String) -> Bool {
        guard let u = URLComponents(string: url), ["http", "https"].contains(u.scheme), let h = u.host, !h.isEmpty else { return false }
        return u.port.map { (1...65_535).contains($0) } ?? true
    }
}

/// The campaign platform's parts, wired together; `application` serves them over HTTP.
public struct CampaignApp: Sendable {
    public let config: CampaignConfig
    public let metrics: HTTPMetrics
    public let db: Database
    public let redis: RedisCache
    public let l1: LocalCache
    /// L1 in front of Redis: what every service uses.
    public let cache: TieredCache
    public let store: any CampaignStore
    public let contacts: any ContactStore
    public let events: any EventStore
    public let recorder: EventRecorder
    public let webhooks: WebhookProcessor
    public let rateLimited = Tally()
    public let sender: Sender?
    public let tokens: TrackingTokens
    public let loginGuard: LoginGuard

    /// Connects the pools and runs migrations; throws with a clear message if PostgreSQL is unreachable.
    public static func make(_ config: CampaignConfig) async throws -> CampaignApp {
        try config.check()
        let metrics = HTTPMetrics()
        let db = Database(url: config.databaseURL, size: config.dbPoolSize, statementTimeoutMs: config.statementTimeoutMs) { metrics.recordQuery(nanos: $0) }
        try await db.checkConnection()
        _ = try await db.migrate()
        await db.warm(config.dbPoolMin)
        let redis = try RedisCache(url: config.redisURL, size: config.redisPoolSize)
        let l1 = LocalCache(capacity: config.l1Capacity, maxBytes: config.l1MaxBytes)
        let events = PostgresEventStore(db: db)
        let cache = TieredCache(l1: l1, l2: redis, peers: try L1Invalidation(l1: l1, redis: redis, url: config.redisURL))
        let store = PostgresCampaignStore(db: db)
        guard let tokens = try await store.secret("tracking_key").flatMap(TrackingTokens.init(hex:)) else {
            throw ConfigError("server_secrets holds no tracking key: the database's migrations did not complete")
        }
        let sender = try config.sender.map { sc in
            try Sender(config: sc, databaseURL: config.databaseURL, redisURL: config.redisURL, tokens: tokens) { tenant, id in
                // The sender changed a campaign (recipients, status): drop what the API cached of it.
                Task { await cache.delete([CampaignRoutes.key(tenant, id), StatsService.key(tenant)]) }
            }
        }
        let loginGuard = LoginGuard(cache: redis, concurrent: config.loginTurns)
        return CampaignApp(config: config, metrics: metrics, db: db, redis: redis, l1: l1, cache: cache,
                           store: store, contacts: PostgresContactStore(db: db), events: events,
                           recorder: EventRecorder(store: events), webhooks: WebhookProcessor(store: events), sender: sender,
                           tokens: tokens, loginGuard: loginGuard)
    }

    /// The router with every route and middleware.
    public func router() throws -> Router<CampaignContext> {
        let router = Router(context: CampaignContext.self)
        let methods = MethodTable()
        router.add(middleware: ResponseHeadersMiddleware(metrics: metrics, delays: try InjectedDelays(config.injectDelays),
                                                         cpu: try InjectedDelays(config.injectCPU, flag: "--inject-cpu"),
                                                         leak: config.injectLeakBytes > 0 ? InjectedLeak(bytes: config.injectLeakBytes) : nil,
                                                         methods: methods))
        let sessions = SessionService(store: store, cache: cache, guardian: loginGuard)
        let stats = StatsService(store: store, cache: cache)
        HealthRoutes(app: self).add(to: router)
        TrackingRoutes(events: events, recorder: recorder, cache: cache, tokens: tokens).add(to: router)
        WebhookRoutes(events: events, secret: config.webhookSecret).add(to: router)
        let auth = AuthRoutes(sessions: sessions)
        auth.addPublic(to: router)
        let limiter = RateLimiter(cache: redis, limit: config.rateLimit)
        let api = router.group("/api").add(middleware: AuthMiddleware(sessions: sessions, limiter: limiter, limited: rateLimited))
        auth.addAuthenticated(to: api)
        CampaignRoutes(store: store, stats: stats, cache: cache, sender: sender).add(to: api)
        StatsRoutes(stats: stats).add(to: api)
        ContactRoutes(store: contacts, stats: stats).add(to: api)
        SegmentRoutes(store: contacts).add(to: api)
        methods.fill(router.routes.map { ($0.method.rawValue, $0.path.description) })
        return router
    }

    /// Runs the background work (event flushing, webhook processing) until the task is cancelled.
    public func runBackground() async {
        await withTaskGroup(of: Void.self) { g in
            g.addTask { await recorder.run() }
            g.addTask { await webhooks.run() }
            g.addTask { await purgeSessions() }
            g.addTask { await ContactSearchIndexer(db: db).run() }
        }
    }

    /// Deletes expired sessions from PostgreSQL every minute, in bounded batches, until cancelled.
    func purgeSessions() async {
        while !Task.isCancelled {
            while (try? await store.purgeSessions(limit: 10_000)) == 10_000 && !Task.isCancelled {}
            try? await Task.sleep(for: .seconds(60))
        }
    }

    /// After the server has drained its requests (SIGTERM): each sender thread finishes and commits its batch,
    /// the background work stops, and the recorder writes what it buffered, waiting a while for a database that
    /// is away. Returns the tracking events it could not write (nothing else is left in memory).
    public func drain(background: Task<Void, Never>) async -> Int {
        await sender?.stopAndWait()
        background.cancel()
        await background.value
        return await recorder.drain()
    }

    /// The HTTP server; `onRunning` receives the bound port (useful with port 0).
    public func application(onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) throws -> some ApplicationProtocol {
        var logger = Logger(label: "campaignd")
        logger.logLevel = .warning
        return Application(
            router: try router(),
            // A connection that sends nothing for this long is closed: idle sockets cannot pile up without bound.
            server: .http1(configuration: .init(idleTimeout: config.idleTimeoutSeconds > 0 ? .seconds(Int64(config.idleTimeoutSeconds)) : nil)),
            configuration: .init(address: .hostname(config.host, port: config.port), backlog: 4096),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) },
            eventLoopGroupProvider: .shared(Self.eventLoops),
            logger: logger)
    }

    /// Runs `server` until SIGTERM or SIGINT, with its handlers where `handlersOn` says.
    public func serve(_ server: some ApplicationProtocol) async throws {
        let executor = config.handlersOn == .eventLoop ? EventLoopTaskExecutor(Self.eventLoops) : nil
        // Inherited by the server's per-connection child tasks, and so by every handler.
        try await withTaskExecutorPreference(executor) { try await server.runService() }
    }

    private static let eventLoops = MultiThreadedEventLoopGroup.singleton
}

/// Where request handlers run. On the event loop that read the request, a request cost campaignd 4-8% less CPU
/// at 2,000 req/s than on Swift's cooperative pool (Benchmarks/handler-executor.py); the pool is kept to measure
/// that against.
public enum HandlerExecutor: String, CaseIterable, Sendable {
    case eventLoop = "event-loop"
    case cooperative
}
