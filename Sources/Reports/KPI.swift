import Harness

/// A threshold on one measured figure: the value must be at most `threshold`.
public struct KPI: Sendable, Codable, Equatable {
    public var name: String
    public var metric: Metric
    public var threshold: Double
    public var unit: String
    public var source: String
    /// The value must be at least the threshold (a rate); otherwise at most (a latency, an error rate).
    public var atLeast = false

    public init(name: String, metric: Metric, threshold: Double, unit: String, atLeast: Bool = false, source: String) {
        self.name = name
        self.metric = metric
        self.threshold = threshold
        self.unit = unit
        self.atLeast = atLeast
        self.source = source
    }

    /// `<`, `<=`, `>` or `>=`; nil: `>=` when `atLeast`, else `<=`.
    public var op: String? = nil
    /// For `.percentile`: which percentile.
    public var percentile: Double? = nil
    /// For `.figure`: the name of a scenario result's figure (`ScenarioResult.figures`).
    public var figure: String? = nil

    /// A threshold on a scenario result's figure: a new scenario's KPI is its catalog entry alone.
    public init(name: String, figure: String, threshold: Double, unit: String, atLeast: Bool = false, source: String) {
        self.init(name: name, metric: .figure, threshold: threshold, unit: unit, atLeast: atLeast, source: source)
        self.figure = figure
    }

    /// A k6-style threshold from a scenario file, as a KPI.
    public init(_ t: ThresholdSpec) {
        let metric: Metric = switch (t.metric, t.stat) {
        case ("http_req_duration", "avg"): .latencyMean
        case ("http_req_duration", "med"): .latencyP50
        case ("http_req_duration", "min"): .latencyMin
        case ("http_req_duration", "max"): .latencyMax
        case ("http_req_duration", _): .latencyPercentile
        case ("http_req_failed", _): .errorRate
        case ("http_reqs", "count"): .requests
        case ("http_reqs", _): .throughput
        case ("iterations", "count"): .iterations
        case ("iterations", _): .iterationRate
        case ("dropped_iterations", "count"): .dropped
        default: .droppedRate
        }
        let unit = t.metric == "http_req_duration" ? "ms" : (t.metric == "http_req_failed" ? "ratio" : (t.stat == "rate" ? "/s" : ""))
        self.init(name: "\(t.metric) \(t.expression)", metric: metric, threshold: t.value, unit: unit, atLeast: t.op.hasPrefix(">"),
                  source: t.source)
        op = t.op
        percentile = t.percentile
    }

    /// The figures a KPI can judge.
    public enum Metric: String, Sendable, Codable {
        case latencyPercentile = "latency_percentile", latencyMean = "latency_mean", latencyMin = "latency_min", latencyMax = "latency_max"
        case requests, throughput, iterations, iterationRate = "iteration_rate", dropped, droppedRate = "dropped_rate"
        case latencyP50 = "latency_p50", latencyP95 = "latency_p95", latencyP99 = "latency_p99"
        case errorRate = "error_rate"
        /// A scenario result's figure, named by `figure`.
        case figure
        case cacheHitRatio = "cache_hit_ratio"
        case dbQueryP50 = "db_query_p50", dbQueryP95 = "db_query_p95", dbQueryP99 = "db_query_p99"
        case faultRecoveryMax = "fault_recovery_max", cacheOutageErrorRate = "cache_outage_error_rate"
    }
}
