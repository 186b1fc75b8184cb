import Foundation
import Synchronization

/// The in-process L1 cache of seeds 000 and 001: bounded, with a TTL per entry.
///
/// When full, an insert evicts the oldest entry (insertion order, a FIFO ring): no per-read bookkeeping, so a
/// hit costs one dictionary lookup under a lock.
public final class LocalCache: Sendable {
    private struct Entry {
        var value: String
        var expires: UInt64
    }
    private struct State {
        var entries: [String: Entry] = [:]
        var order: [String] = []
        var head = 0
    }
    private let state = Mutex(State())
    public let capacity: Int
    public let hits = Atomic<UInt64>(0)
    public let misses = Atomic<UInt64>(0)

    public init(capacity: Int = 10_000) { self.capacity = max(capacity, 1) }

    static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    /// The live value for `key`, or nil.
    public func get(_ key: String) -> String? {
        let t = Self.now()
        let v: String? = state.withLock { s in
            guard let e = s.entries[key] else { return nil }
            if e.expires <= t { s.entries[key] = nil; return nil }
            return e.value
        }
        if v == nil { misses.add(1, ordering: .relaxed) } else { hits.add(1, ordering: .relaxed) }
        return v
    }

    /// Stores `value` for `ttl` seconds.
    public func set(_ key: String, _ value: String, ttl: Double) {
        let e = Entry(value: value, expires: Self.now() + UInt64(ttl * 1e9))
        state.withLock { s in
            if s.entries.updateValue(e, forKey: key) != nil { return }
            if s.order.count < capacity {
                s.order.append(key)
            } else {
                // Evict the oldest slot's key if it still holds that slot's entry, then reuse the slot.
                s.entries[s.order[s.head]] = nil
                s.order[s.head] = key
                s.head = (s.head + 1) % capacity
            }
        }
    }

    public func delete(_ keys: [String]) {
        state.withLock { s in for k in keys { s.entries[k] = nil } }
    }

    public var count: Int { state.withLock { $0.entries.count } }
}

/// L1 in process, then Redis (L2), then the caller's source (L3), as seed 001's MultiLevelCache does.
///
/// L1 keeps an entry for at most `l1TTL` seconds, whatever its Redis TTL, which bounds how stale another
/// instance's write can leave this one; writes through this instance invalidate both levels at once.
public struct TieredCache: KeyValueCache {
    public let l1: LocalCache
    public let l2: any KeyValueCache
    public let l1TTL: Double

    public init(l1: LocalCache, l2: any KeyValueCache, l1TTL: Double = 5) {
        self.l1 = l1
        self.l2 = l2
        self.l1TTL = l1TTL
    }

    public func get(_ keys: [String]) async -> [String?] {
        var out = keys.map { l1.get($0) }
        let missing = out.indices.filter { out[$0] == nil }
        guard !missing.isEmpty else { return out }
        // One pipelined round trip for every L1 miss.
        let fetched = await l2.get(missing.map { keys[$0] })
        for (i, v) in zip(missing, fetched) {
            out[i] = v
            if let v { l1.set(keys[i], v, ttl: l1TTL) }
        }
        return out
    }

    public func set(_ key: String, _ value: String, ttl: Int) async {
        l1.set(key, value, ttl: min(Double(ttl), l1TTL))
        await l2.set(key, value, ttl: ttl)
    }

    public func delete(_ keys: [String]) async {
        l1.delete(keys)
        await l2.delete(keys)
    }

    public func increment(_ key: String, ttl: Int) async -> (count: Int, ttl: Int)? { await l2.increment(key, ttl: ttl) }

    public var isAvailable: Bool { l2.isAvailable }
}
