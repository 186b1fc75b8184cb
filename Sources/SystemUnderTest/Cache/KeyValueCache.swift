/// The cache seam: Redis in production, an in-memory fake in unit tests of pure logic.
///
/// Reads return nil and writes do nothing when the cache is unreachable: callers fall back to PostgreSQL.
public protocol KeyValueCache: Sendable {
    /// Values for `keys`, in order, read in one round trip; nil for a miss or when the cache is down.
    func get(_ keys: [String]) async -> [String?]
    /// Stores `value` under `key` for `ttl` seconds.
    func set(_ key: String, _ value: String, ttl: Int) async
    /// Removes `keys`.
    func delete(_ keys: [String]) async
    /// Atomically adds `by` to `key`, setting `ttl` on first use; returns the new count, or nil when down.
    func increment(_ key: String, by: Int, ttl: Int) async -> Int?
    /// Whether the last operation reached the cache.
    var isAvailable: Bool { get }
}

extension KeyValueCache {
    /// One key's value.
    public func get(_ key: String) async -> String? { await get([key])[0] }

    public func increment(_ key: String, ttl: Int) async -> Int? { await increment(key, by: 1, ttl: ttl) }
}
