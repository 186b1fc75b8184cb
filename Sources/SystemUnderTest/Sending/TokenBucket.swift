import Foundation

/// A token bucket in Redis, shared by every sender thread and instance: `rate` tokens a second, `burst` at most.
///
/// One Lua script refills and takes atomically, with Redis's own clock, so instances need no clock agreement.
public struct TokenBucket: Sendable {
    public let key: String
    public let rate: Double
    public let burst: Double

    public init(key: String, rate: Double, burst: Double? = nil) {
        self.key = key
        self.rate = rate
        self.burst = burst ?? max(rate, 1)
    }

    static let script = """
        local rate, burst, want = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
        local t = redis.call('TIME')
        local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
        local s = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
        local tokens = tonumber(s[1]) or burst
        local ts = tonumber(s[2]) or now
        tokens = math.min(burst, tokens + math.max(now - ts, 0) * rate)
        local got = math.min(want, math.floor(tokens))
        redis.call('HSET', KEYS[1], 'tokens', tostring(tokens - got), 'ts', tostring(now))
        redis.call('EXPIRE', KEYS[1], 60)
        return got
        """

    /// Takes up to `want` tokens; returns how many were granted.
    public func take(_ want: Int, on conn: RedisConnection) throws -> Int {
        let r = try conn.command("EVAL", Self.script, "1", key, String(rate), String(burst), String(want))
        guard let n = r.integer else { throw CacheError("token bucket: unexpected reply \(r)") }
        return n
    }
}
