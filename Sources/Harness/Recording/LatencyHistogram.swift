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
    public func millis(at percentile: Double) -> Double { millis(at: [percentile])[0] }

    /// The values at several percentiles in milliseconds, in one walk over the histogram.
    public func millis(at percentiles: [Double]) -> [Double] {
        totalCount == 0 ? percentiles.map { _ in 0 } : values(atPercentiles: percentiles).map { Double($0) / 1000 }
    }

    /// The largest recorded value in milliseconds.
    public var maxMillis: Double { totalCount == 0 ? 0 : Double(max) / 1000 }

    /// The mean in milliseconds.
    public var meanMillis: Double { meanValue / 1000 }

    // The library's `valueAtPercentile` and `mean` are not inlinable, so every call ran their unspecialized generic
    // code (a metadata lookup per bucket): one run's summary cost more CPU than 20 s of sending at 1,000 req/s.
    // These walk the library's inlinable `recordedValues()`, which compiles here for UInt64 counts, and return
    // exactly what the library's would (HistogramMathTests holds them to it).

    /// HdrHistogram's values at `percentiles` (0–100, any order): for each, the highest value equivalent to the
    /// first bucket whose cumulative count reaches the percentile's share of the total. One walk serves them all.
    public func values(atPercentiles percentiles: [Double]) -> [UInt64] {
        var out = [UInt64](repeating: 0, count: percentiles.count)
        var wanted: [(count: UInt64, slot: Int)] = []  // 0 and 100 are the histogram's min and max
        for (slot, p) in percentiles.enumerated() {
            if p == 0 { out[slot] = min; continue }
            if p >= 100 { out[slot] = maxRecorded; continue }
            let requested = Swift.min(Swift.max(p.nextDown, 0), 100)
            wanted.append((Swift.max(1, UInt64((requested * Double(totalCount) / 100).rounded(.up))), slot))
        }
        guard !wanted.isEmpty, totalCount > 0 else { return out }
        wanted.sort { $0.count < $1.count }
        let lowest = min, highest = maxRecorded
        var next = 0
        for v in recordedValues() {
            while next < wanted.count, v.totalCountToThisValue >= wanted[next].count {
                out[wanted[next].slot] = Swift.max(Swift.min(v.value, highest), lowest)
                next += 1
            }
            if next == wanted.count { break }
        }
        return out
    }

    /// HdrHistogram's mean: each bucket counted at the middle of its range of equivalent values.
    public var meanValue: Double {
        guard totalCount > 0 else { return 0 }
        var total: Double = 0
        for v in recordedValues() {
            let lowest = lowestEquivalentForValue(v.value)
            total += Double(lowest + ((nextNonEquivalentForValue(v.value) - lowest) >> 1)) * Double(v.count)
        }
        return total / Double(totalCount)
    }
}
