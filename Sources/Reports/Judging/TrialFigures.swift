import Foundation
import Harness
import Environment

/// One trial's whole-run figures: the unit a comparison replicates. Per-second samples within a run share its
/// stack, caches and machine state, so only whole trials are independent draws of "this build on this machine".
public struct TrialFigures: Codable, Sendable, Equatable {
    /// Per scope ("overall" and each endpoint), per `ComparedMetric` raw value.
    public var scopes: [String: [String: Double]]
    /// The scenario's own answer (emails/s, rows/s, knee rps...).
    public var figures: [String: Double]
    /// The machine's load from outside the run while this trial ran (embedded stack only).
    public var hostLoad: HostLoad?
    /// Figures of a scenario result (`ScenarioFigure`) where a higher value is better.
    public var risingFigures: [String]?

    public init(scopes: [String: [String: Double]], figures: [String: Double] = [:], hostLoad: HostLoad? = nil) {
        self.scopes = scopes
        self.figures = figures
        self.hostLoad = hostLoad
    }

    /// Other work on the machine slowed this trial: comparisons and calibration set it aside.
    public var disturbed: Bool { hostLoad?.disturbed ?? false }

    /// The figures of a one-trial summary. A stress or capacity run's latencies depend on how far its search
    /// went (one more step past the knee changes every percentile), so only its answer, the knee, is kept.
    public init(_ s: Summary) {
        figures = Self.figures(s)
        let rising = s.sections.flatMap { $0.figures.filter { $0.value.compared && $0.value.higherIsBetter }.keys }.sorted()
        risingFigures = rising.isEmpty ? nil : rising
        guard s.sections.allSatisfy(\.comparesRequestMetrics), s.requests.total > 0 else { scopes = [:]; return }
        func rate(_ errors: UInt64, _ requests: UInt64) -> Double { requests == 0 ? 0 : Double(errors) / Double(requests) * 100 }
        func row(_ p: Summary.Percentiles, _ rps: Double, _ err: Double) -> [String: Double] {
            ["p50": p.p50, "p95": p.p95, "p99": p.p99, "throughput": rps, "error_rate": err]
        }
        var out = ["overall": row(s.latencyMs, s.throughputRps, rate(s.requests.errors, s.requests.total))]
        for (name, e) in s.perEndpoint { out[name] = row(e.latencyMs, e.throughputRps, rate(e.errors, e.requests)) }
        scopes = out
    }

    public func value(_ scope: String, _ metric: ComparedMetric) -> Double? { scopes[scope]?[metric.rawValue] }

    /// What each scenario answers with, as comparable numbers.
    static func figures(_ s: Summary) -> [String: Double] {
        var f: [String: Double] = [:]
        for section in s.sections { for (name, fig) in section.figures where fig.compared { f[name] = fig.value } }
        return f
    }

    /// Scenario figures where a higher value is better, as baselines recorded before `ScenarioFigure` name them.
    public static let higherIsBetter: Set<String> = ["emails_per_s", "rows_per_s", "stress_knee_rps", "capacity_knee_rps"]

    /// Whether a higher `name` is better, by the fixed figures or as the trials' results declared it.
    public static func higherIsBetter(_ name: String, in trials: [TrialFigures]) -> Bool {
        higherIsBetter.contains(name) || trials.contains { $0.risingFigures?.contains(name) == true }
    }
}
