import Foundation
import Synchronization

/// The in-process L1 cache of seeds 000 and 001: bounded in entries and in bytes, with a TTL per entry.
///
/// When full, an insert evicts the oldest entry (insertion order, a FIFO queue): no per-read bookkeeping, so a
/// hit costs one dictionary lookup under a lock. Each queue slot carries the generation of the entry it was
/// made for: a key deleted or set again leaves a stale slot behind, which is skipped, never evicting the live
/// entry. Every insert also sweeps expired entries from the queue's front, so memory held by entries no one
/// reads again is returned within about one TTL rather than only under pressure.
public final class LocalCache: Sendable {
    private struct Entry {
        var value: String
        var expires: UInt64
        var generation: UInt64
        var bytes: Int
    }
    private struct Slot {
        var key: String
        var generation: UInt64
    }
    private struct State {
        var entries: [String: Entry] = [:]
        var queue: [Slot] = []
        var head = 0
        var generation: UInt64 = 0
        var bytes = 0

        var live: Int { queue.count - head }

        mutating func remove(_ key: String) {
            if let old = entries.removeValue(forKey: key) { bytes -= old.bytes }
        }

        /// Drops the front slot, evicting its entry if the slot is still that entry's.
        mutating func popFront() {
            let slot = queue[head]
            head += 1
            if entries[slot.key]?.generation == slot.generation { remove(slot.key) }
            // Give back the consumed front once it is half the array, so the queue never only grows.
            if head > 64 && head * 2 > queue.count {
                queue.removeFirst(head)
                head = 0
            }
        }

        /// Keeps only the slots that still hold their entry, in order.
        mutating func compact() {
            queue = queue[head...].filter { entries[$0.key]?.generation == $0.generation }
            head = 0
        }

        /// The front slot's entry has expired, or the slot is stale.
        func frontIsDead(at now: UInt64) -> Bool {
            let slot = queue[head]
            guard let e = entries[slot.key], e.generation == slot.generation else { return true }
            return e.expires <= now
        }
    }
    private let state = Mutex(State())
    public let capacity: Int
    public let maxBytes: Int
    public let hits = Atomic<UInt64>(0)
    public let misses = Atomic<UInt64>(0)

    /// What an entry costs beyond its key's and value's bytes: the dictionary entry, the queue slot and the
    /// String headers, roughly.
    static let overhead = 96

    public init(capacity: Int = 10_000, maxBytes: Int = 64 << 20) {
        self.capacity = max(capacity, 1)
        self.maxBytes = max(maxBytes, 1)
    }

    static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    /// The live value for `key`, or nil.
    public func get(_ key: String) -> String? {
        let t = Self.now()
        let v: String? = state.withLock { s in
            guard let e = s.entries[key] else { return nil }
            if e.expires <= t { s.remove(key); return nil }
            return e.value
        }
        if v == nil { misses.add(1, ordering: .relaxed) } else { hits.add(1, ordering: .relaxed) }
        return v
    }

    /// Stores `value` for `ttl` seconds. A value larger than the whole byte budget is not kept.
    public func set(_ key: String, _ value: String, ttl: Double) {
        let t = Self.now()
        let size = key.utf8.count + value.utf8.count + Self.overhead
        state.withLock { s in
            s.remove(key)
            while s.live > 0 && s.frontIsDead(at: t) { s.popFront() }
            guard size <= maxBytes else { return }
            while s.live > 0 && (s.entries.count >= capacity || s.bytes + size > maxBytes) { s.popFront() }
            s.generation += 1
            s.entries[key] = Entry(value: value, expires: t + UInt64(max(ttl, 0) * 1e9), generation: s.generation, bytes: size)
            s.bytes += size
            s.queue.append(Slot(key: key, generation: s.generation))
            // Keys set again and again behind a long-lived front leave stale slots: drop them all at once,
            // amortised over at least `capacity` inserts.
            if s.live > 2 * capacity + 64 { s.compact() }
        }
    }

    public func delete(_ keys: [String]) {
        state.withLock { s in for k in keys { s.remove(k) } }
    }

    /// Forgets everything.
    public func clear() {
        state.withLock { $0 = State() }
    }

    public var count: Int { state.withLock { $0.entries.count } }
    /// Bytes the live entries hold, as the budget counts them.
    public var bytes: Int { state.withLock { $0.bytes } }
    /// Queue slots, live and stale: stays within a small multiple of `capacity`.
    var slots: Int { state.withLock { $0.live } }
}

/// L1 in process, then Redis (L2), then the caller's source (L3), as seed 001's MultiLevelCache does.
///
/// L1 keeps an entry for at most `l1TTL` seconds, whatever its Redis TTL, which bounds how stale another
/// instance's write can leave this one even when a pub/sub message is lost; writes through this instance
/// invalidate both levels at once, and the other instances' L1 through `peers`.
public struct TieredCache: KeyValueCache {
    public let l1: LocalCache
    public let l2: any KeyValueCache
    public let l1TTL: Double
    /// Other instances' L1s, told of every delete (nil: this instance alone, or a test).
    public let peers: L1Invalidation?

    public init(l1: LocalCache, l2: any KeyValueCache, l1TTL: Double = 5, peers: L1Invalidation? = nil) {
        self.l1 = l1
        self.l2 = l2
        self.l1TTL = l1TTL
        self.peers = peers
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
        await peers?.publish(keys)
    }

    public func increment(_ key: String, by: Int, ttl: Int) async -> Int? { await l2.increment(key, by: by, ttl: ttl) }

    public var isAvailable: Bool { l2.isAvailable }
}
