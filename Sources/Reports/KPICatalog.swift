/// Every KPI threshold Mailstorm checks, each with the seed document and figure it comes from.
///
/// This is the one place thresholds live; docs/kpis.md explains them. Seeds are in ../shared/seeds/.
public enum KPICatalog {
    /// KPI sets by name; a scenario names the set that judges it.
    public static let sets: [String: [KPI]] = [
        "api": api,
    ]

    /// API latency and errors, from 001_815ebbed96358a96.txt, "Performance Benchmarks", `performanceBenchmarks.api`.
    public static let api: [KPI] = [
        KPI(name: "API p50 latency", metric: .latencyP50, threshold: 25, unit: "ms",
            source: "001_815ebbed96358a96.txt: performanceBenchmarks.api.responseTime.p50 = 25"),
        KPI(name: "API p95 latency", metric: .latencyP95, threshold: 50, unit: "ms",
            source: "001_815ebbed96358a96.txt: performanceBenchmarks.api.responseTime.p95 = 50"),
        KPI(name: "API p99 latency", metric: .latencyP99, threshold: 100, unit: "ms",
            source: "001_815ebbed96358a96.txt: performanceBenchmarks.api.responseTime.p99 = 100"),
        KPI(name: "API error rate", metric: .errorRate, threshold: 0.01, unit: "ratio",
            source: "001_815ebbed96358a96.txt: performanceBenchmarks.api.errorRate = 0.01 (1%)"),
    ]

    /// The set called `name`, or an empty list.
    public static func set(_ name: String) -> [KPI] { sets[name] ?? [] }
}

/// A threshold on one measured figure: the value must be at most `threshold`.
public struct KPI: Sendable, Codable, Equatable {
    public var name: String
    public var metric: Metric
    public var threshold: Double
    public var unit: String
    public var source: String

    /// The figures a KPI can judge, all "lower is better".
    public enum Metric: String, Sendable, Codable {
        case latencyP50 = "latency_p50", latencyP95 = "latency_p95", latencyP99 = "latency_p99"
        case errorRate = "error_rate"
    }
}
