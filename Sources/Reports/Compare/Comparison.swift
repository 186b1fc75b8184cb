import Foundation
import Harness

/// A run compared with a baseline, metric by metric and scope by scope.
public struct Comparison: Codable, Sendable {
    public enum Verdict: String, Codable, Sendable { case improved, unchanged, regressed }

    public struct Row: Codable, Sendable, Equatable {
        public var scope: String
        public var metric: String
        public var baseline: Double
        public var current: Double
        /// Relative change in percent (nil when the baseline is 0).
        public var changePercent: Double?
        public var pValue: Double
        public var verdict: Verdict
    }

    public var baselineGitSha: String
    public var baselineCreatedAt: String
    public var sameMachine: Bool
    public var warning: String?
    public var rows: [Row]

    public var regressions: [Row] { rows.filter { $0.verdict == .regressed } }
    public var improvements: [Row] { rows.filter { $0.verdict == .improved } }

    /// Higher is worse for everything but throughput.
    static func higherIsWorse(_ metric: String) -> Bool { metric != "throughput" }
    static let metrics = ["p50", "p95", "p99", "throughput", "error_rate"]

    /// Compares `current` (metrics and samples per scope) with `baseline`.
    public static func compare(current: Summary, baseline: Baseline, thresholds: Thresholds = .default) -> Comparison {
        let cur = Baseline.scopes(current)
        var rows: [Row] = []
        let scopes = ["overall"] + baseline.metrics.keys.filter { $0 != "overall" }.sorted()
        for scope in scopes {
            guard let bm = baseline.metrics[scope], let cm = cur.metrics[scope],
                  let bs = baseline.samples[scope], let cs = cur.samples[scope] else { continue }
            for metric in metrics {
                let b = value(bm, metric), c = value(cm, metric)
                let test = MannWhitney.test(bs.values(metric), cs.values(metric))
                rows.append(Row(scope: scope, metric: metric, baseline: b, current: c,
                                changePercent: b == 0 ? (c == 0 ? 0 : nil) : (c - b) / b * 100, pValue: test.p,
                                verdict: verdict(metric: metric, baseline: b, current: c, p: test.p, thresholds: thresholds)))
            }
        }
        // Scenario figures are single numbers, not samples: no significance test, only the relative limit.
        let now = Baseline.figures(current) ?? [:]
        for (name, b) in (baseline.figures ?? [:]).sorted(by: { $0.key < $1.key }) {
            guard let c = now[name] else { continue }
            let change = b == 0 ? 0 : (c - b) / abs(b)
            let worse = Baseline.higherIsBetter.contains(name) ? change < -thresholds.figureRelative : change > thresholds.figureRelative
            let better = Baseline.higherIsBetter.contains(name) ? change > thresholds.figureRelative : change < -thresholds.figureRelative
            rows.append(Row(scope: "scenario", metric: name, baseline: b, current: c, changePercent: change * 100, pValue: .nan,
                            verdict: worse ? .regressed : (better ? .improved : .unchanged)))
        }
        let same = baseline.fingerprint == current.machine.fingerprint
        return Comparison(
            baselineGitSha: baseline.gitSha, baselineCreatedAt: baseline.createdAt, sameMachine: same,
            warning: same ? nil : "BASELINE FROM A DIFFERENT MACHINE: baseline '\(baseline.fingerprint)', this run '\(current.machine.fingerprint)'. Differences may be the machine, not the code.",
            rows: rows)
    }

    static func value(_ m: Baseline.ScopeMetrics, _ metric: String) -> Double {
        switch metric {
        case "p50": m.p50
        case "p95": m.p95
        case "p99": m.p99
        case "throughput": m.throughput
        default: m.errorRate
        }
    }

    /// Regressed or improved only when significant and beyond both the relative and absolute limits.
    static func verdict(metric: String, baseline b: Double, current c: Double, p: Double, thresholds: Thresholds) -> Verdict {
        guard let limit = thresholds.limits[metric], p < thresholds.alpha else { return .unchanged }
        let diff = c - b
        guard abs(diff) >= limit.absolute else { return .unchanged }
        if limit.relative.isFinite {
            guard b != 0, abs(diff) / abs(b) > limit.relative else { return .unchanged }
        }
        let worse = higherIsWorse(metric) ? diff > 0 : diff < 0
        return worse ? .regressed : .improved
    }

    /// A text table of the rows, regressions marked.
    public func render() -> String {
        var out = ""
        if let warning { out += "WARNING: \(warning)\n" }
        out += "compared with baseline \(baselineGitSha.prefix(12)) of \(baselineCreatedAt)\n"
        let body = rows.map { r in
            [r.scope, r.metric, Self.fmt(r.baseline), Self.fmt(r.current),
             r.changePercent.map { String(format: "%+.1f%%", $0) } ?? "n/a",
             String(format: "%.3g", r.pValue), r.verdict == .regressed ? "REGRESSED" : r.verdict.rawValue]
        }
        out += Table.render(header: ["scope", "metric", "baseline", "current", "change", "p", "verdict"], rows: body)
        return out
    }

    static func fmt(_ v: Double) -> String { String(format: v >= 100 ? "%.1f" : "%.3f", v) }
}
