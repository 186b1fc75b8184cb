import Foundation
import Harness
import Environment

/// Trials of a run compared with trials of a baseline (or of build A), figure by figure and scope by scope.
/// Each row is a `TrialTest`; the comparison's outcome is inconclusive when the machines differ (unless a row
/// regressed beyond a measured move of one machine's speed), else regressed if any row is, else inconclusive if any
/// row may be worse, else improved if any row improved, else unchanged.
public struct Comparison: Codable, Sendable {
    /// `notWorse` is a row's answer only: not decided as a change, yet the worse-side bound of its 90% interval
    /// lies inside the margin, so a regression as large as the margin is excluded (one side of the equivalence
    /// test, at 5%). CI asks "did it regress?", and that row has answered it.
    public enum Outcome: String, Codable, Sendable { case improved, unchanged, regressed, inconclusive, notWorse = "not worse" }

    public struct Row: Codable, Sendable, Equatable {
        public var scope: String
        public var metric: String
        /// Geometric mean of the trials (arithmetic for an error rate).
        public var baseline: Double
        public var current: Double
        /// Change, its 90% interval, the margin that counts and the noise (one trial-to-trial standard
        /// deviation), all in `changeUnit`: percent of the baseline, or percentage points for an error rate.
        public var change: Double
        public var low: Double
        public var high: Double
        public var margin: Double
        public var noise: Double
        public var changeUnit: String
        public var pValue: Double
        public var verdict: Outcome
    }

    public var baselineGitSha: String
    public var baselineCreatedAt: String
    public var baselineTrials: Int
    public var currentTrials: Int
    public var machine: MachineCheck
    /// Trials left out because other work or the hypervisor took the machine while they ran, one line each.
    public var setAside: [String]?
    /// How far the routes' latencies moved apart between the two sessions, beyond what the machine's drift moves
    /// them all by (log units; `sessionSpread(_:)`). Nil within one job.
    public var sessionSpread: Double?
    public var rows: [Row]

    public var regressions: [Row] { rows.filter { $0.verdict == .regressed } }
    public var improvements: [Row] { rows.filter { $0.verdict == .improved } }
    /// Rows that may be worse by the margin or more: only these keep a comparison from deciding.
    public var undecided: [Row] { rows.filter { $0.verdict == .inconclusive } }
    public var notWorse: [Row] { rows.filter { $0.verdict == .notWorse } }

    /// Another machine's baseline decides nothing: its differences would be the machine's, not the code's. On a
    /// machine whose speed moved, only a regression beyond the move is decided.
    public var outcome: Outcome {
        if busy { return .inconclusive }
        if !machine.comparable { return machine.speedMoved && !regressions.isEmpty ? .regressed : .inconclusive }
        if !regressions.isEmpty { return .regressed }
        if !undecided.isEmpty { return .inconclusive }
        return improvements.isEmpty ? .unchanged : .improved
    }

    /// Every trial of one side was set aside: nothing is left to compare.
    public var busy: Bool { currentTrials == 0 || baselineTrials == 0 }

    /// What a reader must know before the rows: another machine, trials set aside.
    public var notes: [String] {
        var out = machine.note.map { [$0] } ?? []
        if let s = setAside, !s.isEmpty {
            out.append("set aside, because other work on the machine or the hypervisor's steal slows a trial without any change of code: "
                       + s.joined(separator: "; "))
        }
        return out
    }

    /// Compares `current` trials with `reference` trials, leaving out trials that ran on a busy machine.
    public static func compare(current all: [TrialFigures], reference allReference: [TrialFigures], machine: MachineCheck, baselineGitSha: String,
                               baselineCreatedAt: String, thresholds: Thresholds = .default) -> Comparison {
        let current = all.filter { !$0.disturbed }, reference = allReference.filter { !$0.disturbed }
        let setAside = [("this run", all), ("the baseline", allReference)].flatMap { side, trials in
            trials.enumerated().compactMap { i, t in t.disturbed ? "\(side)'s trial \(i + 1) (\(t.hostLoad!.description))" : nil }
        }
        var specs: [RowSpec] = []
        let scopes = Set(reference.flatMap { $0.scopes.keys })
        for scope in ["overall"] + scopes.subtracting(["overall"]).sorted() where scopes.contains(scope) {
            for m in ComparedMetric.allCases {
                let a = reference.compactMap { $0.value(scope, m) }, b = current.compactMap { $0.value(scope, m) }
                guard !a.isEmpty, !b.isEmpty else { continue }
                // Errors are not speed. Throughput is: a closed model's follows the machine, and an open model's
                // (the offered rate) moves only when it saturates, which its latencies show far beyond any drift.
                let drift = m.logScale ? machine.driftAllowance : 0
                specs.append(RowSpec(scope: scope, metric: m.rawValue, a: a, b: b, log: m.logScale, asked: thresholds.asked(m),
                                     worseUp: m.higherIsWorse, drift: drift))
            }
        }
        for name in Set(reference.flatMap { $0.figures.keys }).sorted() {
            let a = reference.compactMap { $0.figures[name] }, b = current.compactMap { $0.figures[name] }
            guard !a.isEmpty, !b.isEmpty else { continue }
            specs.append(RowSpec(scope: "scenario", metric: name, a: a, b: b, log: true, asked: log1p(thresholds.figureChange),
                                 worseUp: !TrialFigures.higherIsBetter(name, in: reference + current), drift: machine.driftAllowance))
        }
        // Between sessions, each route's latency moves by its own amount as well (below): a latency change is
        // decided only beyond three times that on top of the machine's drift. Within one job both sides share the session.
        let spread = machine.driftAllowance > 0 ? sessionSpread(specs) : nil
        if let spread {
            // A route's own change must not widen the margin it is judged by: the other routes set it.
            let routes = Set(specs.filter(\.isRouteLatency).map(\.scope))
            let others = Dictionary(uniqueKeysWithValues: routes.map { ($0, sessionSpread(specs, leavingOut: $0) ?? spread) })
            for i in specs.indices where specs[i].isLatency { specs[i].spread = 3 * (others[specs[i].scope] ?? spread) }
        }
        let rows = specs.map { $0.row(family: specs.count) }
        return Comparison(baselineGitSha: baselineGitSha, baselineCreatedAt: baselineCreatedAt, baselineTrials: reference.count,
                          currentTrials: current.count, machine: machine, setAside: setAside.isEmpty ? nil : setAside,
                          sessionSpread: spread, rows: rows)
    }

    /// A session's trials run back to back and share its state (other tenants of the host, caches), so trials on
    /// unchanged code agree more closely within a session than across two: an A/A here moved one route's p95 by
    /// +25% (90% interval +20 … +31%) and others' latencies by -27 … +48% between sessions whose probes agreed
    /// within 1%, with 2-3% trial-to-trial noise. The spread is estimated from this comparison's own latency rows, as the median
    /// absolute deviation of their changes from the median change (times 1.4826, a standard deviation when
    /// normal): robust to the minority of rows that a change of code moves, and no larger than the noise when
    /// every route moved alike. The overall rows are left out: they mix the routes, so they would count a
    /// route's change twice. Fewer than 6 latency rows estimate nothing.
    static func sessionSpread(_ specs: [RowSpec], leavingOut route: String? = nil) -> Double? {
        let changes = specs.filter { $0.isRouteLatency && $0.scope != route }.map(\.estimate)
        guard changes.count >= 6 else { return nil }
        let m = changes.median
        return 1.4826 * changes.map { abs($0 - m) }.median
    }

    /// A run's trials against a stored baseline.
    public static func compare(_ s: Summary, with b: Baseline, thresholds: Thresholds = .default, allowOtherMachine: Bool = false) -> Comparison {
        compare(current: s.trials, reference: b.trials,
                machine: MachineCheck(baseline: (b.fingerprint, b.machineSpeed), current: (s.machine.fingerprint, s.machineSpeed), allowed: allowOtherMachine),
                baselineGitSha: b.gitSha, baselineCreatedAt: b.createdAt, thresholds: thresholds)
    }

    /// One line: the outcome and why.
    public var headline: String {
        let n = "\(currentTrials) trial(s) against \(baselineTrials)"
        switch outcome {
        case .regressed: return "regressed (\(n)): " + regressions.map(\.label).joined(separator: "; ")
        case .improved: return "improved (\(n)): " + improvements.map(\.label).joined(separator: "; ")
        case .unchanged, .notWorse:
            if notWorse.isEmpty { return "unchanged (\(n)): every figure within its margin" }
            return "unchanged (\(n)): no figure worse by its margin; \(notWorse.count) possibly better, undecided, e.g. "
                + notWorse.prefix(3).map(\.label).joined(separator: "; ")
        case .inconclusive:
            if !machine.comparable { return "inconclusive: \(machine.note ?? "another machine")" }
            if busy {
                return "inconclusive: other work or the hypervisor's steal took the machine beyond its limits in every trial of "
                    + (currentTrials == 0 ? "this run" : "the baseline") + " (\(HostLoad.limitsText))"
            }
            return "inconclusive (\(n)): \(undecided.count) figure(s) undecided, e.g. " + undecided.prefix(3).map(\.label).joined(separator: "; ")
        }
    }

    /// A text table of the rows.
    public func render() -> String {
        var out = ""
        for note in notes { out += (machine.comparable && !busy ? "note: " : "WARNING: ") + note + "\n" }
        out += "compared with baseline \(baselineGitSha.prefix(12)) of \(baselineCreatedAt): \(currentTrials) trial(s) against \(baselineTrials)\n"
        if machine.driftAllowance > 0 {
            out += String(format: "machine drift between the sessions: ±%.0f%% (from the speed probes); no smaller change of a latency or scenario figure counts\n",
                          (exp(machine.driftAllowance) - 1) * 100)
        }
        let spreadPercent = sessionSpread.map { (exp($0) - 1) * 100 }
        if let spreadPercent {
            out += String(format: "routes' latencies moved apart between the sessions by ±%.0f%% (1 sd, from the routes' rows); a route's latency change is decided beyond the drift plus three times the other routes' spread, and called the same only inside the usual margin\n",
                          spreadPercent)
        }
        out += Table.render(header: Self.header, rows: rows.map(\.cells))
        out += "comparison: \(headline)\n"
        if outcome == .inconclusive, machine.comparable, !busy, let spreadPercent {
            // More trials of this session cannot narrow a spread between sessions; one job with both builds has none.
            out += String(format: "next: more trials here cannot tell these changes from the sessions' own (routes moved apart by ±%.0f%%); "
                          + "`mailstorm ab --a <the baseline's campaignd> --b <this campaignd>` runs both builds in one job, where that spread does not enter\n",
                          spreadPercent)
        }
        return out
    }

    public static let header = ["scope", "metric", "baseline", "current", "change", "90% interval", "margin", "noise (1 sd)", "p", "verdict"]
    static func fmt(_ v: Double) -> String { String(format: v >= 100 ? "%.1f" : "%.3f", v) }
}

/// One figure to test: its trials on both sides and how to read them.
struct RowSpec {
    var scope: String
    var metric: String
    var a: [Double]
    var b: [Double]
    var log: Bool
    var asked: Double
    var worseUp: Bool
    var drift: Double
    /// What the routes' own moves between sessions add to the margin a change must clear (not to the one that
    /// calls it the same).
    var spread = 0.0

    var isLatency: Bool { scope != "scenario" && [ComparedMetric.p50, .p95, .p99].contains { $0.rawValue == metric } }
    /// One route's latency, not the overall mix of them all.
    var isRouteLatency: Bool { isLatency && scope != "overall" }
    /// The change of the means on the test's scale, as `TrialTest` estimates it.
    var estimate: Double { scaled(mean(b)) - scaled(mean(a)) }

    /// Log scale: a ratio, resolved to HdrHistogram's 3 significant digits; absolute: 0.01 percentage points.
    func scaled(_ v: Double) -> Double { log ? Foundation.log(max(v, 1e-9)) : v }
    func shown(_ v: Double) -> Double { log ? (exp(v) - 1) * 100 : v }
    func mean(_ xs: [Double]) -> Double {
        let m = xs.map(scaled).reduce(0, +) / Double(xs.count)
        return log ? exp(m) : m
    }

    func row(family: Int) -> Comparison.Row {
        let t = TrialTest(a: a.map(scaled), b: b.map(scaled), asked: asked, resolution: log ? 0.001 : 0.01, rows: family, drift: drift, spread: spread)
        let verdict: Comparison.Outcome
        switch t.answer {
        case .same: verdict = .unchanged
        case .unknown:
            // The interval's worse side inside the margin: no regression of that size, whatever the better side says.
            verdict = (worseUp ? t.high < t.margin : t.low > -t.margin) ? .notWorse : .inconclusive
        case .different: verdict = (t.estimate > 0) == worseUp ? .regressed : .improved
        }
        return Comparison.Row(scope: scope, metric: metric, baseline: mean(a), current: mean(b), change: shown(t.estimate),
                              low: shown(t.low), high: shown(t.high), margin: shown(t.decisionMargin), noise: shown(t.sigma),
                              changeUnit: log ? "%" : "pp", pValue: t.pValue, verdict: verdict)
    }
}

extension Comparison.Row {
    var unit: String { ComparedMetric(rawValue: metric)?.unit ?? (metric.hasSuffix("_ms") ? "ms" : "") }
    var sign: String { changeUnit == "%" ? "%" : " pp" }

    /// The margin as it reads on the row's scale: symmetric in log units, so -4.8% … +5.0% for a 5% margin.
    public var marginText: String {
        changeUnit == "%" ? String(format: "%.1f … +%.1f%%", (1 / (1 + margin / 100) - 1) * 100, margin) : String(format: "±%.2f pp", margin)
    }

    /// "overall p95 +12.3% (90% CI +8.1% to +16.6%, margin -4.8% … +5.0%)".
    public var label: String {
        String(format: "%@ %@ %+.1f%@ (90%% CI %+.1f%@ to %+.1f%@, margin %@)", scope, metric, change, sign, low, sign, high, sign, marginText)
    }

    public var cells: [String] {
        [scope, metric, Comparison.fmt(baseline) + (unit.isEmpty ? "" : " " + unit), Comparison.fmt(current) + (unit.isEmpty ? "" : " " + unit),
         String(format: "%+.1f%@", change, sign),
         low.isFinite ? String(format: "%+.1f … %+.1f%@", low, high, sign) : "n/a",
         marginText, noise.isFinite ? String(format: "%.1f%@", noise, sign) : "n/a",
         String(format: "%.2g", pValue), verdict == .regressed ? "REGRESSED" : verdict.rawValue]
    }
}
