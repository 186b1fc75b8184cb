import Foundation

/// Merges each interval across shards (exactly, histogram by histogram) and hands it to the sinks in order,
/// on a queue of its own so that slow disks never stall an event loop.
final class IntervalCollector: @unchecked Sendable {
    private let lock = NSLock()
    private let queue = DispatchQueue(label: "mailstorm.interval-sinks")
    private let sinks: [any IntervalSink]
    private let shards: Int
    private var pending: [Int: (snapshot: IntervalSnapshot, parts: Int)] = [:]
    private var finishedShards = Set<Int>()
    private var nextIndex = 0
    private(set) var rows: [IntervalRow] = []

    init(sinks: [any IntervalSink], shards: Int) {
        self.sinks = sinks
        self.shards = shards
    }

    func add(_ snap: IntervalSnapshot, shard: Int) {
        lock.lock()
        if var p = pending[snap.index] {
            p.snapshot.latency.add(snap.latency)
            p.snapshot.requests += snap.requests
            p.snapshot.ok += snap.ok
            p.snapshot.errors += snap.errors
            p.snapshot.dropped += snap.dropped
            p.snapshot.inFlight += snap.inFlight
            p.snapshot.connections += snap.connections
            p.snapshot.lengthNanos = max(p.snapshot.lengthNanos, snap.lengthNanos)
            p.parts += 1
            pending[snap.index] = p
        } else {
            pending[snap.index] = (snap, 1)
        }
        let ready = drain()
        lock.unlock()
        deliver(ready)
    }

    func shardFinished(_ shard: Int) {
        lock.lock()
        finishedShards.insert(shard)
        let ready = drain()
        let done = finishedShards.count == shards
        lock.unlock()
        deliver(ready)
        if done {
            let sinks = self.sinks
            queue.async { sinks.forEach { $0.runFinished() } }
        }
    }

    /// Waits until every sink has seen every interval handed over so far.
    func flush() { queue.sync {} }

    /// Pops the intervals every live shard has reported; call with the lock held.
    private func drain() -> [IntervalSnapshot] {
        var out: [IntervalSnapshot] = []
        while let p = pending[nextIndex], p.parts + finishedShards.count >= shards || finishedShards.count == shards {
            pending[nextIndex] = nil
            out.append(p.snapshot)
            rows.append(p.snapshot.row)
            nextIndex += 1
        }
        return out
    }

    private func deliver(_ snaps: [IntervalSnapshot]) {
        guard !snaps.isEmpty else { return }
        let sinks = self.sinks
        queue.async { for s in snaps { sinks.forEach { $0.intervalCompleted(s) } } }
    }
}
