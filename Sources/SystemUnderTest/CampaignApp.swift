import Foundation
import Hummingbird
import Logging
import NIOCore

/// campaignd's settings.
public struct CampaignConfig: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    public var databaseURL: String
    public var redisURL: String
    public var dbPoolSize = 16
    public var redisPoolSize = 4
    public var injectDelays: [String] = []

    public init(databaseURL: String, redisURL: String) {
        self.databaseURL = databaseURL
        self.redisURL = redisURL
    }
}

/// The campaign platform's parts, wired together; `application` serves them over HTTP.
public struct CampaignApp: Sendable {
    public let db: Database
    public let cache: RedisCache
    public let store: any CampaignStore
    public let metrics = HTTPMetrics()
    public let config: CampaignConfig

    /// Connects the pools and runs migrations; throws with a clear message if PostgreSQL is unreachable.
    public static func make(_ config: CampaignConfig) async throws -> CampaignApp {
        let db = Database(url: config.databaseURL, size: config.dbPoolSize)
        try await db.checkConnection()
        _ = try await db.migrate()
        let cache = try RedisCache(url: config.redisURL, size: config.redisPoolSize)
        return CampaignApp(db: db, cache: cache, store: PostgresCampaignStore(db: db), config: config)
    }

    /// The router with every route and middleware.
    public func router() throws -> Router<CampaignContext> {
        let router = Router(context: CampaignContext.self)
        router.add(middleware: ResponseHeadersMiddleware(metrics: metrics, delays: try InjectedDelays(config.injectDelays)))
        let sessions = SessionService(store: store, cache: cache)
        let stats = StatsService(store: store, cache: cache)
        HealthRoutes(db: db, cache: cache, metrics: metrics).add(to: router)
        let auth = AuthRoutes(sessions: sessions)
        auth.addPublic(to: router)
        let api = router.group("/api").add(middleware: AuthMiddleware(sessions: sessions))
        auth.addAuthenticated(to: api)
        CampaignRoutes(store: store, stats: stats).add(to: api)
        StatsRoutes(stats: stats).add(to: api)
        return router
    }

    /// The HTTP server; `onRunning` receives the bound port (useful with port 0).
    public func application(onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) throws -> some ApplicationProtocol {
        var logger = Logger(label: "campaignd")
        logger.logLevel = .warning
        return Application(
            router: try router(),
            configuration: .init(address: .hostname(config.host, port: config.port), backlog: 4096),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
    }
}
