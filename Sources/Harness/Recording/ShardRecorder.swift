/// What one engine shard measured: whole-run figures per endpoint and status class, and the second in progress.
/// A plain value confined to the shard's event loop; the engine decides what happened, this only counts it.
struct ShardRecorder {
    private(set) var overall: EndpointStats
    private(set) var endpoints: [EndpointStats]
    private(set) var byStatusClass: [LatencyHistogram]
    private(set) var interval: IntervalAccumulator
    private(set) var intervalIndex = 0

    init(endpoints names: [String]) {
        overall = EndpointStats(name: "all")
        endpoints = names.map(EndpointStats.init(name:))
        byStatusClass = (0..<6).map { _ in .latency() }
        interval = IntervalAccumulator(endpoints: names)
    }

    /// A response: latency from when it was due, service time from when it was written.
    @inline(__always)
    mutating func response(_ endpoint: Int, status: Int, latency: UInt64, service: UInt64, passed: Bool) {
        let cls = min(max(status / 100, 1), 5)
        overall.latency.recordNanos(latency)
        overall.service.recordNanos(service)
        overall.statusClasses[cls] += 1
        endpoints[endpoint].latency.recordNanos(latency)
        endpoints[endpoint].service.recordNanos(service)
        endpoints[endpoint].statusClasses[cls] += 1
        byStatusClass[cls].recordNanos(latency)
        interval.latency.recordNanos(latency)
        interval.requests += 1
        interval.endpoints[endpoint].latency.recordNanos(latency)
        interval.endpoints[endpoint].requests += 1
        if passed {
            overall.ok += 1
            endpoints[endpoint].ok += 1
            interval.ok += 1
        } else {
            error(endpoint, ErrorClass.forStatus(status))
        }
    }

    /// A request that ended without a response (refused, reset, timed out): a request and an error, no latency.
    mutating func transportError(_ endpoint: Int, _ cls: ErrorClass) {
        interval.requests += 1
        interval.endpoints[endpoint].requests += 1
        error(endpoint, cls)
    }

    private mutating func error(_ endpoint: Int, _ cls: ErrorClass) {
        overall.errors[cls, default: 0] += 1
        endpoints[endpoint].errors[cls, default: 0] += 1
        interval.errors += 1
        interval.endpoints[endpoint].errors += 1
    }

    mutating func stages(_ endpoint: Int, _ t: ServerStages) { endpoints[endpoint].recordStages(t) }

    /// An iteration not started because the in-flight cap was reached (k6's dropped_iterations).
    mutating func dropped() { interval.dropped += 1 }

    /// Closes the second in progress and starts the next.
    mutating func takeInterval() -> (index: Int, accumulator: IntervalAccumulator) {
        defer {
            interval = IntervalAccumulator(endpoints: endpoints.map(\.name))
            intervalIndex += 1
        }
        return (intervalIndex, interval)
    }
}

/// The counts and histograms of the interval in progress.
struct IntervalAccumulator {
    init(endpoints: [String]) { self.endpoints = endpoints.map(EndpointInterval.init(name:)) }
    var endpoints: [EndpointInterval]
    var latency = LatencyHistogram.latency()
    var requests: UInt64 = 0
    var ok: UInt64 = 0
    var errors: UInt64 = 0
    var dropped: UInt64 = 0
}
