import Foundation

/// Hands chunks from a producer task to a consumer on a blocking worker thread: the import parses chunk k+1
/// while PostgreSQL loads chunk k.
public final class ChunkQueue<Element: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private var items: [Element] = []
    private var finished = false
    private var failure: Error?

    public init() {}

    public func push(_ e: Element) {
        condition.lock()
        items.append(e)
        condition.signal()
        condition.unlock()
    }

    /// No more chunks: the consumer's next `pop` after the last returns nil.
    public func finish() {
        condition.lock()
        finished = true
        condition.signal()
        condition.unlock()
    }

    /// The producer failed: the consumer's next `pop` throws `error`.
    public func fail(_ error: Error) {
        condition.lock()
        failure = error
        condition.signal()
        condition.unlock()
    }

    /// The next chunk, waiting for it; nil when finished; throws when the producer failed. Blocking.
    public func pop() throws -> Element? {
        condition.lock()
        defer { condition.unlock() }
        while items.isEmpty && !finished && failure == nil { condition.wait() }
        if let failure { throw failure }
        return items.isEmpty ? nil : items.removeFirst()
    }
}
