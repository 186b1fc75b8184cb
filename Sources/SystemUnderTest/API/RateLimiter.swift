import Foundation

/// Per-user request limits in fixed one-second windows, counted atomically in Redis (seed 000's
/// check_rate_limit without its GET-then-INCR race). The default, 100 requests/s, is seed 000's nginx
/// `limit_req_zone ... zone=api rate=100r/s`.
///
/// When Redis is down the limiter lets requests through: a cache outage must slow the API, not fail it.
public struct RateLimiter: Sendable {
    public static let defaultLimit = 100
    let cache: any KeyValueCache
    /// Requests per second per user; 0 turns limiting off.
    public let limit: Int

    public init(cache: any KeyValueCache, limit: Int = Self.defaultLimit) {
        self.cache = cache
        self.limit = limit
    }

    /// The decision for one request, with what the X-RateLimit-* headers report.
    public struct Decision: Sendable, Equatable {
        public var allowed: Bool
        public var limit: Int
        public var remaining: Int
        /// Seconds until the window resets.
        public var resetSeconds: Int
    }

    /// Counts one request by `user`; nil when limiting is off or Redis is unreachable.
    public func check(user: Int64, now: Date = Date()) async -> Decision? {
        guard limit > 0 else { return nil }
        let window = Int(now.timeIntervalSince1970)
        // The key carries its window, so each second starts a fresh counter; 2 s TTL lets Redis drop it.
        guard let r = await cache.increment("rl:\(user):\(window)", ttl: 2) else { return nil }
        return Decision(allowed: r.count <= limit, limit: limit, remaining: max(limit - r.count, 0), resetSeconds: 1)
    }
}
