/// A whole-run figure that a comparison tests, per scope.
public enum ComparedMetric: String, Codable, Sendable, CaseIterable {
    case p50, p95, p99, throughput
    case errorRate = "error_rate"

    /// Higher is worse for everything but throughput.
    public var higherIsWorse: Bool { self != .throughput }

    /// Latency and throughput change by ratios, so they are tested on the log scale; an error rate sits near 0,
    /// where ratios mean nothing, so it is tested in percentage points.
    public var logScale: Bool { self != .errorRate }

    public var unit: String {
        switch self {
        case .p50, .p95, .p99: "ms"
        case .throughput: "req/s"
        case .errorRate: "%"
        }
    }
}
