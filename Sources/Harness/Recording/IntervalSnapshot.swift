/// What happened during one reporting interval (1 s): handed to sinks as the run goes.
public struct IntervalSnapshot: Sendable {
    /// 0-based interval number.
    public var index: Int
    /// Start of the interval, nanoseconds after the run's start.
    public var startNanos: UInt64
    public var lengthNanos: UInt64
    /// Latency from the due time of requests completed in the interval.
    public var latency: LatencyHistogram
    public var requests: UInt64
    public var ok: UInt64
    public var errors: UInt64
    public var dropped: UInt64
    /// Iterations in flight at the end of the interval.
    public var inFlight: Int
    /// Open connections at the end of the interval.
    public var connections: Int
    /// Scheduled length of the whole run, for progress displays.
    public var plannedNanos: UInt64

    /// A compact row of this interval, kept in memory for time series (no histogram).
    public var row: IntervalRow {
        let secs = Double(lengthNanos) / 1e9
        return IntervalRow(
            t: Double(startNanos) / 1e9, requests: requests, ok: ok, errors: errors, dropped: dropped,
            rps: secs > 0 ? Double(requests) / secs : 0,
            p50Ms: latency.millis(at: 50), p90Ms: latency.millis(at: 90), p99Ms: latency.millis(at: 99), maxMs: latency.maxMillis,
            inFlight: inFlight, connections: connections)
    }
}

/// One interval as numbers: the time series that reports chart and baselines compare.
public struct IntervalRow: Sendable, Codable, Equatable {
    /// Seconds after the run's start.
    public var t: Double
    public var requests: UInt64
    public var ok: UInt64
    public var errors: UInt64
    public var dropped: UInt64
    public var rps: Double
    public var p50Ms: Double
    public var p90Ms: Double
    public var p99Ms: Double
    public var maxMs: Double
    public var inFlight: Int
    public var connections: Int
}

/// Receives each interval as it completes, off the load engine's event loop.
public protocol IntervalSink: Sendable {
    func intervalCompleted(_ snapshot: IntervalSnapshot)
    /// Called once, after the last interval.
    func runFinished()
}
