/// When a change counts: a metric regresses only if the change is significant (Mann-Whitney U over
/// per-interval samples, p < `alpha`) *and* larger than its threshold. Both, because on a shared 2-core
/// machine a significant change can be tiny, and a large change in one noisy run can be chance.
public struct Thresholds: Codable, Sendable, Equatable {
    public struct Limit: Codable, Sendable, Equatable {
        /// Relative change (0.05 = 5%) beyond which a significant change counts.
        public var relative: Double
        /// Absolute change (ms for latency, percentage points for error rate) below which nothing counts.
        public var absolute: Double
        public init(relative: Double, absolute: Double) {
            self.relative = relative
            self.absolute = absolute
        }
    }

    public var alpha: Double
    public var limits: [String: Limit]
    /// Scenario figures (emails/s, rows/s, knee rps, delivery p99): worse by more than this fraction regresses.
    /// 25%: one run per figure gives no samples to test, and a send's or a search's figure moves by up to
    /// ~15% between runs on this shared 2-core machine.
    public var figureRelative = 0.25

    public init(alpha: Double, limits: [String: Limit]) {
        self.alpha = alpha
        self.limits = limits
    }

    /// The documented defaults for a stored baseline (docs/regression-detection.md gives the reasoning and the
    /// measured rates). Consecutive runs on fresh stacks on this 2-core machine drift by up to ±20% at a p50 near
    /// 1 ms, so the floors are set above that drift:
    /// - p50: 8% and at least 0.25 ms; p95: 8% and at least 0.5 ms; p99: 12% and at least 1 ms.
    /// - throughput: 5%. Under an open model it equals the offered rate unless the system saturates.
    /// - error rate: 0.5 percentage points absolute (a relative change of a near-zero rate means nothing).
    /// - alpha 0.01: with five metrics per scope, a looser alpha would raise false alarms on unchanged builds.
    public static let `default` = Thresholds(alpha: 0.01, limits: [
        "p50": Limit(relative: 0.08, absolute: 0.25),
        "p95": Limit(relative: 0.08, absolute: 0.5),
        "p99": Limit(relative: 0.12, absolute: 1.0),
        "throughput": Limit(relative: 0.05, absolute: 0),
        "error_rate": Limit(relative: .infinity, absolute: 0.5),
    ])

    /// For `mailstorm ab`, where A and B trials alternate on the same machine in the same minutes: run-to-run
    /// drift falls on both sides alike, so the limits can be tight enough to catch a 10% slowdown.
    /// - p50 and p95: 5%, at least 0.1 / 0.25 ms; p99: 8%, at least 0.5 ms; throughput and errors as above.
    public static let interleaved = Thresholds(alpha: 0.01, limits: [
        "p50": Limit(relative: 0.05, absolute: 0.1),
        "p95": Limit(relative: 0.05, absolute: 0.25),
        "p99": Limit(relative: 0.08, absolute: 0.5),
        "throughput": Limit(relative: 0.05, absolute: 0),
        "error_rate": Limit(relative: .infinity, absolute: 0.5),
    ])

    /// Applies "metric=relative" overrides such as "p99=0.15".
    public func overriding(_ specs: [String]) throws -> Thresholds {
        var t = self
        for s in specs {
            let parts = s.split(separator: "=")
            guard parts.count == 2, let v = Double(parts[1]), v >= 0, let old = t.limits[String(parts[0])] else {
                throw ReportError("--threshold '\(s)': expected metric=fraction with metric one of \(limits.keys.sorted().joined(separator: ", "))")
            }
            t.limits[String(parts[0])] = Limit(relative: v, absolute: old.absolute)
        }
        return t
    }
}
