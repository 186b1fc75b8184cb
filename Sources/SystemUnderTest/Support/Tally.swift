import Synchronization

/// A shared event count that value types can hold (an `Atomic` cannot be copied).
public final class Tally: Sendable {
    private let value = Atomic<UInt64>(0)
    public init() {}
    public func add(_ n: UInt64 = 1) { value.add(n, ordering: .relaxed) }
    public func load() -> UInt64 { value.load(ordering: .relaxed) }
}
