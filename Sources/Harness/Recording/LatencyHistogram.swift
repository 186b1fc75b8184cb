import Histogram

/// Latency histograms hold microseconds, 1 µs to 60 s, at three significant digits (HdrHistogram's usual setting).
public typealias LatencyHistogram = Histogram<UInt64>

extension Histogram where Count == UInt64 {
    /// The highest latency a histogram tracks, in microseconds; longer values are clamped to it.
    public static var highestLatencyMicros: UInt64 { 60_000_000 }

    /// An empty latency histogram with the project's standard range and precision.
    public static func latency() -> Histogram<UInt64> {
        Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: highestLatencyMicros, numberOfSignificantValueDigits: .three)
    }

    /// The longest email delivery time tracked, in microseconds (an hour: a big send queues for minutes).
    public static var highestDeliveryMicros: UInt64 { 3_600_000_000 }

    /// An empty histogram for delivery times: 1 µs to an hour, three significant digits.
    public static func delivery() -> Histogram<UInt64> {
        Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: highestDeliveryMicros, numberOfSignificantValueDigits: .three)
    }

    /// Records a duration in nanoseconds, clamped into the trackable range.
    @inline(__always)
    public mutating func recordNanos(_ nanos: UInt64) {
        _ = record(Swift.min(Swift.max(nanos / 1000, 1), Self.highestLatencyMicros))
    }

    /// The value at `percentile` (0–100) in milliseconds; 0 for an empty histogram.
    public func millis(at percentile: Double) -> Double {
        totalCount == 0 ? 0 : Double(valueAtPercentile(percentile)) / 1000
    }

    /// The largest recorded value in milliseconds.
    public var maxMillis: Double { totalCount == 0 ? 0 : Double(max) / 1000 }

    /// The mean in milliseconds.
    public var meanMillis: Double { totalCount == 0 ? 0 : mean / 1000 }
}
