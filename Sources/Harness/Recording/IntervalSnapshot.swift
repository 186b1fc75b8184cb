import Histogram

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
    /// Per endpoint (same order as the run's endpoints): latency and counts in this interval.
    public var endpoints: [EndpointInterval]

    public init(index: Int, startNanos: UInt64, lengthNanos: UInt64, latency: LatencyHistogram, requests: UInt64, ok: UInt64,
                errors: UInt64, dropped: UInt64, inFlight: Int, connections: Int, plannedNanos: UInt64, endpoints: [EndpointInterval]) {
        self.index = index
        self.startNanos = startNanos
        self.lengthNanos = lengthNanos
        self.latency = latency
        self.requests = requests
        self.ok = ok
        self.errors = errors
        self.dropped = dropped
        self.inFlight = inFlight
        self.connections = connections
        self.plannedNanos = plannedNanos
        self.endpoints = endpoints
    }

    /// A compact row of this interval, kept in memory for time series (no histogram). Once the collector has
    /// sealed the interval, every sink reads the same row instead of scanning the histograms again.
    public var row: IntervalRow { sealedRow ?? computedRow }

    private var sealedRow: IntervalRow?

    /// Computes the row once; the interval is complete (merged across shards) and is not changed after.
    mutating func seal() { sealedRow = computedRow }

    private var computedRow: IntervalRow {
        let secs = Double(lengthNanos) / 1e9
        let p = latency.millis(at: [50, 90, 95, 99])
        return IntervalRow(
            t: Double(startNanos) / 1e9, requests: requests, ok: ok, errors: errors, dropped: dropped,
            rps: secs > 0 ? Double(requests) / secs : 0,
            p50Ms: p[0], p90Ms: p[1], p95Ms: p[2], p99Ms: p[3], maxMs: latency.maxMillis,
            inFlight: inFlight, connections: connections,
            perEndpoint: Dictionary(endpoints.map { ($0.name, $0.row) }, uniquingKeysWith: { a, _ in a }))
    }
}

/// One endpoint's share of an interval.
public struct EndpointInterval: Sendable {
    public var name: String
    public var latency = LatencyHistogram.latency()
    public var requests: UInt64 = 0
    public var errors: UInt64 = 0

    public init(name: String) { self.name = name }

    mutating func merge(_ o: EndpointInterval) {
        latency.add(o.latency)
        requests += o.requests
        errors += o.errors
    }

    var row: EndpointIntervalRow {
        let p = latency.millis(at: [50, 95, 99])
        return EndpointIntervalRow(requests: requests, errors: errors, p50Ms: p[0], p95Ms: p[1], p99Ms: p[2])
    }
}

/// One endpoint's numbers for one interval: the per-endpoint samples that comparisons test.
public struct EndpointIntervalRow: Sendable, Codable, Equatable {
    public var requests: UInt64
    public var errors: UInt64
    public var p50Ms: Double
    public var p95Ms: Double
    public var p99Ms: Double
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
    public var p95Ms: Double
    public var p99Ms: Double
    public var maxMs: Double
    public var inFlight: Int
    public var connections: Int
    public var perEndpoint: [String: EndpointIntervalRow]

    public init(t: Double, requests: UInt64, ok: UInt64, errors: UInt64, dropped: UInt64, rps: Double, p50Ms: Double, p90Ms: Double,
                p95Ms: Double, p99Ms: Double, maxMs: Double, inFlight: Int, connections: Int, perEndpoint: [String: EndpointIntervalRow]) {
        self.t = t
        self.requests = requests
        self.ok = ok
        self.errors = errors
        self.dropped = dropped
        self.rps = rps
        self.p50Ms = p50Ms
        self.p90Ms = p90Ms
        self.p95Ms = p95Ms
        self.p99Ms = p99Ms
        self.maxMs = maxMs
        self.inFlight = inFlight
        self.connections = connections
        self.perEndpoint = perEndpoint
    }
}

/// Receives each interval as it completes, off the load engine's event loop.
public protocol IntervalSink: Sendable {
    func intervalCompleted(_ snapshot: IntervalSnapshot)
    /// Called once, after the last interval.
    func runFinished()
}
