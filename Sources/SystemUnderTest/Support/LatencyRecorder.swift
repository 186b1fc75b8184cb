import Foundation
import Synchronization

/// A thread-safe log-bucketed latency histogram (powers of two of microseconds) for server-side metrics.
///
/// The server only needs Prometheus-style buckets and rough percentiles; the harness's HdrHistograms are the
/// precise instrument.
public final class LatencyRecorder: Sendable {
    private let buckets = Mutex([UInt64](repeating: 0, count: 32))

    public init() {}

    public func record(nanos: UInt64) {
        let micros = max(nanos / 1000, 1)
        let b = min(63 - micros.leadingZeroBitCount, 31)
        buckets.withLock { $0[b] += 1 }
    }

    /// Counts per bucket; bucket i holds [2^i, 2^(i+1)) µs.
    public var counts: [UInt64] { buckets.withLock { $0 } }

    /// The upper bound in ms of the bucket holding `percentile` (0–100).
    public func upperBoundMillis(at percentile: Double) -> Double {
        let c = counts
        let total = c.reduce(0, +)
        guard total > 0 else { return 0 }
        let want = UInt64((percentile / 100 * Double(total)).rounded(.up))
        var seen: UInt64 = 0
        for (i, n) in c.enumerated() {
            seen += n
            if seen >= want { return Double(UInt64(1) << (i + 1)) / 1000 }
        }
        return Double(UInt64(1) << 32) / 1000
    }
}
