import Foundation
import Synchronization

/// The Redis cache over a pool of hiredis connections on their own threads.
///
/// When Redis is down every call degrades to a miss, and reconnection is tried at most once a second per
/// connection so that an outage costs each request microseconds, not a connect timeout.
public final class RedisCache: KeyValueCache {
    let pool: BlockingWorkerPool<RedisSlot>
    private let available = Atomic<Bool>(true)
    public let hits = Atomic<UInt64>(0)
    public let misses = Atomic<UInt64>(0)

    /// `url`: redis://host:port.
    public init(url: String, size: Int = 4) throws {
        let (host, port) = try Self.parse(url)
        pool = BlockingWorkerPool(name: "redis", threads: size, acquireTimeout: 1) { RedisSlot(host: host, port: port) }
    }

    public static func parse(_ url: String) throws -> (String, Int) {
        guard url.hasPrefix("redis://") else { throw CacheError("redis URL '\(url)' must start with redis://") }
        let hp = url.dropFirst(8).prefix { $0 != "/" }
        let parts = hp.split(separator: ":")
        guard let host = parts.first, !host.isEmpty else { throw CacheError("redis URL '\(url)' has no host") }
        let port = parts.count > 1 ? Int(parts[1]) : 6379
        guard let port, (1...65_535).contains(port) else { throw CacheError("redis URL '\(url)' has a bad port") }
        return (String(host), port)
    }

    public var isAvailable: Bool { available.load(ordering: .relaxed) }

    private func run<T: Sendable>(_ fallback: T, _ body: @escaping @Sendable (RedisConnection) throws -> T) async -> T {
        do {
            let out = try await pool.run { slot -> T in
                guard let conn = slot!.connection() else { throw CacheError("redis unavailable") }
                do { return try body(conn) } catch { slot!.drop(); throw error }
            }
            available.store(true, ordering: .relaxed)
            return out
        } catch {
            available.store(false, ordering: .relaxed)
            return fallback
        }
    }

    public func get(_ keys: [String]) async -> [String?] {
        let values = await run([String?](repeating: nil, count: keys.count)) { conn in
            try conn.pipeline(keys.map { ["GET", $0] }).map(\.string)
        }
        let h = UInt64(values.lazy.filter { $0 != nil }.count)
        hits.add(h, ordering: .relaxed)
        misses.add(UInt64(keys.count) - h, ordering: .relaxed)
        return values
    }

    public func set(_ key: String, _ value: String, ttl: Int) async {
        await run(()) { _ = try $0.command("SET", key, value, "EX", String(ttl)) }
    }

    public func delete(_ keys: [String]) async {
        guard !keys.isEmpty else { return }
        await run(()) { _ = try $0.pipeline([["DEL"] + keys]) }
    }

    /// PUBLISH; a Redis that is down loses the message (its subscribers clear their L1 when they resubscribe).
    public func publish(_ channel: String, _ message: String) async {
        await run(()) { _ = try $0.command("PUBLISH", channel, message) }
    }

    public func increment(_ key: String, by: Int, ttl: Int) async -> Int? {
        // INCRBY and EXPIRE NX in one MULTI/EXEC: atomic, unlike seed 000's GET-then-INCR, which races.
        await run(nil) { conn in
            let r = try conn.pipeline([["MULTI"], ["INCRBY", key, String(by)], ["EXPIRE", key, String(ttl), "NX"], ["EXEC"]])
            guard case .array(let results) = r[3], results.count == 2, let n = results[0].integer else { throw CacheError("bad EXEC reply") }
            return n
        }
    }
}

/// A worker's Redis connection, re-made after a failure no more than once a second.
final class RedisSlot {
    let host: String
    let port: Int
    var conn: RedisConnection?
    var lastAttempt: UInt64 = 0

    init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    func connection() -> RedisConnection? {
        if let c = conn, c.isHealthy { return c }
        conn = nil
        let now = DispatchTime.now().uptimeNanoseconds
        guard now - lastAttempt > 1_000_000_000 || lastAttempt == 0 else { return nil }
        lastAttempt = now
        conn = try? RedisConnection(host: host, port: port)
        return conn
    }

    func drop() { conn = nil }
}
