import Foundation

/// Merges each interval across shards (exactly, histogram by histogram) and hands it to the sinks in order,
/// on a queue of its own so that slow disks never stall an event loop.
final class IntervalCollector: @unchecked Sendable {
    private let lock = NSLock()
    private let queue = DispatchQueue(label: "mailstorm.interval-sinks")
    private let sinks: [any IntervalSink]
    private let shards: Int
    private var pending: [Int: IntervalSnapshot] = [:]
    /// Highest interval index each shard has reported, and whether it has finished.
    private var lastIndex: [Int]
    private var finished: [Bool]
    private var nextIndex = 0
    private(set) var rows: [IntervalRow] = []

    init(sinks: [any IntervalSink], shards: Int) {
        self.sinks = sinks
        self.shards = shards
        lastIndex = [Int](repeating: -1, count: shards)
        finished = [Bool](repeating: false, count: shards)
    }

    func add(_ snap: IntervalSnapshot, shard: Int) {
        lock.lock()
        lastIndex[shard] = max(lastIndex[shard], snap.index)
        if var p = pending[snap.index] {
            p.latency.add(snap.latency)
            p.requests += snap.requests
            p.ok += snap.ok
            p.errors += snap.errors
            p.dropped += snap.dropped
            p.inFlight += snap.inFlight
            p.connections += snap.connections
            p.lengthNanos = max(p.lengthNanos, snap.lengthNanos)
            for i in p.endpoints.indices { p.endpoints[i].merge(snap.endpoints[i]) }
            pending[snap.index] = p
        } else {
            pending[snap.index] = snap
        }
        let ready = drain()
        lock.unlock()
        deliver(ready)
    }

    func shardFinished(_ shard: Int) {
        lock.lock()
        finished[shard] = true
        let ready = drain()
        let done = finished.allSatisfy { $0 }
        lock.unlock()
        deliver(ready)
        if done {
            let sinks = self.sinks
            queue.async { sinks.forEach { $0.runFinished() } }
        }
    }

    /// Waits until every sink has seen every interval handed over so far.
    func flush() { queue.sync {} }

    /// Pops, in order, the intervals that every shard has reported or will never report; call with the lock held.
    private func drain() -> [IntervalSnapshot] {
        var out: [IntervalSnapshot] = []
        while var p = pending[nextIndex], (0..<shards).allSatisfy({ lastIndex[$0] >= nextIndex || finished[$0] }) {
            pending[nextIndex] = nil
            p.seal()
            out.append(p)
            rows.append(p.row)
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
