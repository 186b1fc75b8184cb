import Foundation
import Synchronization

/// Buffers tracking events in memory and writes them in batches, so a pixel request costs no database
/// round trip of its own. A crash loses at most one flush interval of opens and clicks.
public final class EventRecorder: Sendable {
    let store: any EventStore
    private let buffer = Mutex<[TrackingEvent]>([])
    /// Events dropped because the buffer was full (the database fell behind).
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
    @discardableResult
    public func flush() async -> Int {
        let batch = buffer.withLock { b -> [TrackingEvent] in defer { b = [] }; return b }
        guard !batch.isEmpty else { return 0 }
        do {
            var kept = 0
            for start in stride(from: 0, to: batch.count, by: 5000) {
                kept += try await store.record(Array(batch[start..<min(start + 5000, batch.count)]))
            }
            recorded.add(UInt64(kept), ordering: .relaxed)
            return kept
        } catch {
            dropped.add(UInt64(batch.count), ordering: .relaxed)
            return 0
        }
    }

    /// Flushes every `interval` until the task is cancelled, then once more.
    public func run(interval: Duration = .milliseconds(100)) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            await flush()
        }
        await flush()
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
