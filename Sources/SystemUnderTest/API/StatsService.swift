import Foundation

/// The dashboard stats, cached in Redis for 30 s as seed 000's "Real-time Stats Caching" does, and dropped
/// from the cache by every write that changes them.
public struct StatsService: Sendable {
    /// Seed 000: cache_user_stats setex(..., 30, ...).
    public static let ttlSeconds = 30
    let store: any CampaignStore
    let cache: any KeyValueCache

    public init(store: any CampaignStore, cache: any KeyValueCache) {
        self.store = store
        self.cache = cache
    }

    /// The stats JSON for `tenant` and whether it came from the cache.
    public func json(tenant: Int64, timing: ServerTiming) async throws -> (json: String, hit: Bool) {
        if let v = await timing.cache({ await cache.get(Self.key(tenant)) }) { return (v, true) }
        return (try await refresh(tenant: tenant, timing: timing), false)
    }

    /// Recomputes the stats and writes them through to the cache: what every write that changes them calls, so
    /// the dashboard reads that follow are hits (the counters make the recomputation O(1)). Two writes racing
    /// can leave the older figures cached; the 30 s TTL bounds that.
    @discardableResult
    public func refresh(tenant: Int64, timing: ServerTiming) async throws -> String {
        let stats = try await timing.db { try await store.dashboardStats(tenant: tenant) }
        let json = String(decoding: try JSONEncoder().encode(stats), as: UTF8.self)
        await timing.cache { await cache.set(Self.key(tenant), json, ttl: Self.ttlSeconds) }
        return json
    }

    /// Seed 000's key, per tenant here.
    public static func key(_ tenant: Int64) -> String { "stats:\(tenant)" }
}
