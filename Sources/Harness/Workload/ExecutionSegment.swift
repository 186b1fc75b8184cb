/// One of `count` equal parts of a workload, as k6's `--execution-segment` divides one: the segments run as
/// separate processes (machines, pods), together they offer exactly the one workload, and their results merge
/// exactly (`mailstorm merge`).
///
/// - An arrival schedule's iterations are dealt round-robin: global iteration g belongs to segment g mod count,
///   at g's own due time. The segments' iterations are therefore the one schedule's, no more and no fewer, at
///   the same times; each segment's iterations are evenly spread, as k6's striping spreads them.
/// - A VU count V is split as floor((i+1)V/n) - floor(iV/n): the parts sum to V at every moment of a ramp.
public struct ExecutionSegment: Sendable, Equatable, Codable, CustomStringConvertible {
    /// 0-based, as Kubernetes' JOB_COMPLETION_INDEX counts.
    public let index: Int
    public let count: Int

    public static let whole = ExecutionSegment(uncheckedIndex: 0, count: 1)

    private init(uncheckedIndex: Int, count: Int) {
        index = uncheckedIndex
        self.count = count
    }

    public init(index: Int, count: Int) throws(SegmentError) {
        guard (1...10_000).contains(count), (0..<count).contains(index) else {
            throw SegmentError("segment \(index)/\(count): want i/n with n from 1 to 10000 and i from 0 to n-1")
        }
        self.init(uncheckedIndex: index, count: count)
    }

    /// "i/n", e.g. "0/4" ... "3/4".
    public init(parsing text: String) throws(SegmentError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]) else {
            throw SegmentError("segment '\(text)': want i/n, e.g. 0/4 for the first of four (i counts from 0)")
        }
        try self.init(index: i, count: n)
    }

    public var description: String { "\(index)/\(count)" }
    public var isWhole: Bool { count == 1 }

    /// This segment's part of a count: the parts of every segment sum to `n`.
    public func share(of n: Int) -> Int { (index + 1) * n / count - index * n / count }

    /// The global iteration number of this segment's `n`-th iteration.
    public func global(_ n: UInt64) -> UInt64 { n * UInt64(count) + UInt64(index) }
}

public struct SegmentError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ d: String) { description = d }
}

/// A pacer's schedule restricted to one segment: iteration n of the segment is the global schedule's iteration
/// `segment.global(n)`, due when that one is due.
public struct SegmentedPacer: Pacer {
    public let base: any Pacer
    public let segment: ExecutionSegment

    public init(_ base: any Pacer, segment: ExecutionSegment) {
        self.base = base
        self.segment = segment
    }

    public func dueTime(ofIteration n: UInt64) -> UInt64? { base.dueTime(ofIteration: segment.global(n)) }
    public var durationNanos: UInt64 { base.durationNanos }
    public func rate(atNanos t: UInt64) -> Double { base.rate(atNanos: t) / Double(segment.count) }
}
