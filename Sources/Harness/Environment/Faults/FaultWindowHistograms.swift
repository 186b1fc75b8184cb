import Synchronization
import Harness

/// Keeps the latency histogram of every second that a planned fault may overlap, so that a fault's p99 comes
/// from its seconds merged exactly. Only those seconds are kept: a long soak with two faults holds a few dozen.
public final class FaultWindowHistograms: IntervalSink {
    /// Planned windows, widened by `margin` seconds after each end: a restart can take longer than planned.
    private let ranges: [ClosedRange<Double>]
    private let kept = Mutex<[Int: LatencyHistogram]>([:])

    public init(timeline: FaultTimeline, margin: Double = 15) {
        ranges = timeline.faults.map { ($0.start - 1)...($0.end + margin) }
    }

    public func intervalCompleted(_ s: IntervalSnapshot) {
        let t = Double(s.startNanos) / 1e9
        guard ranges.contains(where: { $0.contains(t) }) else { return }
        kept.withLock { $0[s.index] = s.latency }
    }

    public func runFinished() {}

    /// Interval index to histogram.
    public var histograms: [Int: LatencyHistogram] { kept.withLock { $0 } }
}
