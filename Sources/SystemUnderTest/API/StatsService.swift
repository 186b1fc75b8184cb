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
        let key = Self.key(tenant)
        if let v = await timing.cache({ await cache.get(key) }) { return (v, true) }
        let stats = try await timing.db { try await store.dashboardStats(tenant: tenant) }
        let json = String(decoding: try JSONEncoder().encode(stats), as: UTF8.self)
        await timing.cache { await cache.set(key, json, ttl: Self.ttlSeconds) }
        return (json, false)
    }

    /// Seed 000's key, per tenant here.
    public static func key(_ tenant: Int64) -> String { "stats:\(tenant)" }
}
