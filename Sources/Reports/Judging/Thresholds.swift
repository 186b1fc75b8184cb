import Foundation

/// The smallest change that matters, per metric: Pinpoint's "magnitude". A comparison calls a change
/// different only when it is at least this large *and* beyond the noise floor that the trials themselves show
/// (`TrialTest`); no constant here stands in for the machine's noise.
public struct Thresholds: Codable, Sendable, Equatable {
    /// Per `ComparedMetric` raw value: a fraction (0.05 = 5%) for latency and throughput, percentage points for
    /// the error rate.
    public var change: [String: Double]
    /// Scenario figures (emails/s, rows/s, knee rps, delivery p99): a fraction.
    public var figureChange: Double

    public init(change: [String: Double], figureChange: Double) {
        self.change = change
        self.figureChange = figureChange
    }

    /// p50 and p95 5%, p99 10% (it rests on the fewest requests), throughput 5%, error rate 0.5 percentage
    /// points, scenario figures 10%.
    public static let `default` = Thresholds(
        change: ["p50": 0.05, "p95": 0.05, "p99": 0.10, "throughput": 0.05, "error_rate": 0.5], figureChange: 0.10)

    /// The asked change on the test's scale: log(1 + fraction), or percentage points.
    public func asked(_ m: ComparedMetric) -> Double {
        let c = change[m.rawValue] ?? 0
        return m.logScale ? log1p(c) : c
    }

    /// Applies "metric=value" overrides such as "p99=0.15"; the error names the bad one.
    public func overriding(_ specs: [String]) throws -> Thresholds {
        var t = self
        let names = ComparedMetric.allCases.map(\.rawValue) + ["figures"]
        for s in specs {
            let parts = s.split(separator: "=", omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 2, names.contains(parts[0]) else {
                throw ReportError("--threshold '\(s)': expected metric=value with metric one of \(names.joined(separator: ", "))")
            }
            // A fraction under 10 (1000%), or for error_rate percentage points up to 100.
            guard let v = Double(parts[1]), v > 0, parts[0] == "error_rate" ? v <= 100 : v < 10 else {
                throw ReportError("--threshold '\(s)': '\(parts[1])' is not a positive number (a fraction under 10 such as 0.05, or percentage points up to 100 for error_rate)")
            }
            if parts[0] == "figures" { t.figureChange = v } else { t.change[parts[0]] = v }
        }
        return t
    }
}
