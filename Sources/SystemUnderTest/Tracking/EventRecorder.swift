import Foundation
import Synchronization

/// Buffers tracking events in memory and writes them in batches, so a pixel request costs no database
/// round trip of its own. A crash loses what is buffered: one flush interval of opens and clicks, or, while the
/// database is away, all since it went.
public final class EventRecorder: Sendable {
    let store: any EventStore
    private let buffer = Mutex<[TrackingEvent]>([])
    /// Events dropped: the buffer was full (the database fell behind or stayed away), or the database rejected them.
    public let dropped = Atomic<UInt64>(0)
    public let recorded = Atomic<UInt64>(0)
    public static let capacity = 200_000

    public init(store: any EventStore) { self.store = store }

    public func add(_ e: TrackingEvent) {
        let ok = buffer.withLock { b -> Bool in
            guard b.count < Self.capacity else { return false }
            b.append(e)
            return true
        }
        if !ok { dropped.add(1, ordering: .relaxed) }
    }

    /// Writes what is buffered; returns the number of events kept (those whose message exists).
    ///
    /// A chunk the database could not take for now (down, restarting, a deadlock lost) goes back to the front of
    /// the buffer for the next flush: dropping it lost every open of an outage. Only a chunk the database rejects
    /// for its data, which would fail again, is dropped and counted. A connection cut after a commit and before its
    /// answer applies a chunk twice: the sends' first-open times hold, and the events table gets the rows again.
    @discardableResult
    public func flush() async -> Int {
        let batch = buffer.withLock { b -> [TrackingEvent] in defer { b = [] }; return b }
        guard !batch.isEmpty else { return 0 }
        var kept = 0
        for start in stride(from: 0, to: batch.count, by: Self.chunk) {
            let chunk = batch[start..<min(start + Self.chunk, batch.count)]
            do {
                kept += try await store.record(Array(chunk))
            } catch let e as DatabaseError where e.isPersistent {
                dropped.add(UInt64(chunk.count), ordering: .relaxed)
            } catch {
                requeue(batch[start...])
                break
            }
        }
        recorded.add(UInt64(kept), ordering: .relaxed)
        return kept
    }

    static let chunk = 5000

    /// Puts events that are older than anything buffered since back in front; what no longer fits is dropped.
    private func requeue(_ events: ArraySlice<TrackingEvent>) {
        let lost = buffer.withLock { b -> Int in
            let fit = events.prefix(max(0, Self.capacity - b.count))
            b.insert(contentsOf: fit, at: 0)
            return events.count - fit.count
        }
        if lost > 0 { dropped.add(UInt64(lost), ordering: .relaxed) }
    }

    /// For a stop: flushes until nothing is buffered or `budget` has passed, so a database that is restarting
    /// when campaignd is told to stop has that long to come back. Returns the events left, which are lost with
    /// the process, and counts them dropped.
    public func drain(budget: Duration = .seconds(10), retryEvery: Duration = .milliseconds(100)) async -> Int {
        let clock = ContinuousClock()
        let end = clock.now + budget
        while true {
            await flush()
            let left = buffer.withLock { $0.count }
            guard left > 0 else { return 0 }
            guard clock.now < end, (try? await Task.sleep(for: retryEvery)) != nil else {
                dropped.add(UInt64(left), ordering: .relaxed)
                return left
            }
        }
    }

    /// Flushes every `interval` until the task is cancelled; what is left then is `drain()`'s, which waits for a
    /// database that is away (two more flushes here made two more failed connections first).
    public func run(interval: Duration = .milliseconds(100)) async {
        while (try? await Task.sleep(for: interval)) != nil { await flush() }
    }
}

/// Applies queued provider webhooks in the background, as seed 002's webhook processor does.
public final class WebhookProcessor: Sendable {
    let store: any EventStore
    public let processed = Atomic<UInt64>(0)
    public let batchSize: Int

    public init(store: any EventStore, batchSize: Int = 200) {
        self.store = store
        self.batchSize = batchSize
    }

    /// Drains the queue, then polls every `idle` until cancelled.
    public func run(idle: Duration = .milliseconds(100)) async {
        while !Task.isCancelled {
            let n = (try? await store.processWebhooks(limit: batchSize)) ?? 0
            processed.add(UInt64(n), ordering: .relaxed)
            if n == 0 { try? await Task.sleep(for: idle) }
        }
    }
}
