import CHiredis
import Foundation

/// Keeps several campaignd instances' L1 caches coherent through Redis pub/sub: a write on one instance drops the
/// key from every other instance's L1 at once, instead of leaving it stale for up to the L1 TTL (5 s).
///
/// Publishing rides the Redis pool (one PUBLISH after the L2 DEL, so a peer that refetches finds L2 already
/// clean). Listening is one thread with its own blocking hiredis connection, as every Redis call here runs off
/// the event loops. Messages lost while Redis was unreachable cannot be replayed, so on every (re)subscription
/// the whole L1 is cleared: a cache may always forget.
public final class L1Invalidation: Sendable {
    public static let channel = "mailstorm:l1-invalidate"

    let l1: LocalCache
    let redis: RedisCache
    /// This instance's id: its own messages need no work.
    let instance: String
    private let host: String
    private let port: Int

    public init(l1: LocalCache, redis: RedisCache, url: String) throws {
        (host, port) = try RedisCache.parse(url)
        self.l1 = l1
        self.redis = redis
        instance = Crypto.hex(Crypto.randomBytes(8))
        let thread = Thread { [self] in listen() }
        thread.name = "l1-invalidation"
        thread.start()
    }

    /// Tells the other instances to drop `keys` from their L1.
    func publish(_ keys: [String]) async {
        guard !keys.isEmpty else { return }
        await redis.publish(Self.channel, ([instance] + keys).joined(separator: "\n"))
    }

    /// "instance\nkey\nkey...": the keys another instance wrote, or nil for one's own or a malformed message.
    static func keys(in message: String, from own: String) -> [String]? {
        let parts = message.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 2, parts[0] != own else { return nil }
        return Array(parts.dropFirst())
    }

    private func listen() {
        // For the process's life: campaignd has one, and a blocked read leaves nothing to stop early.
        while true {
            guard let conn = try? RedisConnection(host: host, port: port, timeout: 1) else { Thread.sleep(forTimeInterval: 1); continue }
            // No read timeout: a subscriber waits for messages. A restarted Redis closes the socket (an error here);
            // keepalive notices one that vanished without closing it.
            redisSetTimeout(conn.ctx, timeval(tv_sec: 0, tv_usec: 0))
            _ = redisEnableKeepAlive(conn.ctx)
            guard (try? conn.command("SUBSCRIBE", Self.channel)) != nil else { Thread.sleep(forTimeInterval: 1); continue }
            // Whatever was written while this instance was not listening may be stale here now.
            l1.clear()
            while true {
                var reply: UnsafeMutableRawPointer?
                guard redisGetReply(conn.ctx, &reply) == REDIS_OK, let m = reply else { break }
                defer { freeReplyObject(m) }
                // ["message", channel, payload]
                if case .array(let parts) = RedisReply(m.assumingMemoryBound(to: redisReply.self)), parts.count == 3,
                   let payload = parts[2].string, let keys = Self.keys(in: payload, from: instance) {
                    l1.delete(keys)
                }
            }
        }
    }
}
