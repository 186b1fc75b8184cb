import Foundation
import Synchronization

/// Per-user request limits in fixed one-second windows, counted atomically in Redis (seed 000's
/// check_rate_limit without its GET-then-INCR race). The default, 100 requests/s, is seed 000's nginx
/// `limit_req_zone ... zone=api rate=100r/s`.
///
/// An instance reserves requests from the shared count in leases (INCRBY) and spends them locally: 1 at first in
/// a window, doubling while the user keeps coming, up to a tenth of the limit. One Redis round trip per request
/// cost a cached GET about half its CPU (routes flat out: 56 µs per request without the limiter, 109 with it).
/// No instance admits beyond the limit: a lease is granted only up to what the shared count leaves. With several
/// instances, requests an instance reserved but did not use are lost to the others for that second, at most a
/// tenth of the limit per instance; with one instance the count, the decisions and the headers are exact.
///
/// When Redis is down the limiter lets requests through: a cache outage must slow the API, not fail it.
public struct RateLimiter: Sendable {
    public static let defaultLimit = 100
    let cache: any KeyValueCache
    /// Requests per second per user; 0 turns limiting off.
    public let limit: Int
    private let leases = Leases()

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
        let ask: Int
        switch leases.spend(user: user, window: window) {
        case .admitted(let position): return decision(true, limit - position)
        case .full: return decision(false, 0)
        case .reserve(let n): ask = min(n, max(limit / 10, 1))
        }
        // The key carries its window, so each second starts a fresh counter; 2 s TTL lets Redis drop it.
        guard let count = await cache.increment("rl:\(user):\(window)", by: ask, ttl: 2) else { return nil }
        let granted = max(0, min(ask, limit - (count - ask)))
        // What was asked beyond the grant counts in Redis (the window is full anyway), but not in this request's place.
        let position = leases.add(user: user, window: window, granted: granted, count: count - (ask - granted), full: count >= limit)
        return decision(granted > 0, limit - position)
    }

    private func decision(_ allowed: Bool, _ remaining: Int) -> Decision {
        Decision(allowed: allowed, limit: limit, remaining: max(remaining, 0), resetSeconds: 1)
    }

    /// This instance's reservations in the current window, per user.
    final class Leases: Sendable {
        struct Lease {
            var window: Int
            var granted = 0
            var used = 0
            /// The shared count after this instance's latest reservation, less what it asked beyond its grant.
            var count = 0
            /// The shared count reached the limit: refuse without asking again until the window ends.
            var full = false
            /// This request's place in the shared count, as X-RateLimit-Remaining reports it: what every instance
            /// counted, less what this one reserved and has not spent.
            var position: Int { count - (granted - used) }
        }

        /// A request admitted from a lease (at `position`), refused, or to reserve `n` more for.
        enum Step: Equatable { case admitted(position: Int), full, reserve(Int) }

        private let state = Mutex<(byUser: [Int64: Lease], window: Int)>(([:], 0))

        func spend(user: Int64, window: Int) -> Step {
            state.withLock { s in
                if window != s.window {
                    // A new second: last second's leases are worth nothing now.
                    s.byUser = s.byUser.filter { $0.value.window >= window }
                    s.window = window
                }
                guard var l = s.byUser[user], l.window == window else { return .reserve(1) }
                if l.used < l.granted {
                    l.used += 1
                    s.byUser[user] = l
                    return .admitted(position: l.position)
                }
                // As many again as reserved so far this second: 1, 1, 2, 4, 8...
                return l.full ? .full : .reserve(max(l.granted, 1))
            }
        }

        /// Records a reservation (one of whose requests is this one, when granted); returns this request's position.
        func add(user: Int64, window: Int, granted: Int, count: Int, full: Bool) -> Int {
            state.withLock { s in
                let current = s.byUser[user]
                var l = current?.window == window ? current! : Lease(window: window)
                l.granted += granted
                l.used += granted > 0 ? 1 : 0
                l.count = max(l.count, count)
                l.full = l.full || full
                // A reservation whose answer came after its second ended serves this request alone: it must not
                // replace the lease of the second that began meanwhile.
                if (current?.window ?? window) <= window { s.byUser[user] = l }
                return l.position
            }
        }
    }
}
