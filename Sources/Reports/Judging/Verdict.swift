/// The one verdict of a run, made once from its KPIs, its own checks, the comparison and the mode. The exit
/// code, summary.json, report.md, report.html, junit.xml and the console all show this value.
public struct Verdict: Codable, Sendable, Equatable {
    public enum Outcome: String, Codable, Sendable {
        case pass, fail, improved, inconclusive
    }

    public var outcome: Outcome
    /// Why, most important first: failed KPIs and checks, then regressions, then undecided figures.
    public var reasons: [String]
    /// The comparison was shown but did not judge (`--baseline-advisory`).
    public var advisory: Bool
    public var interrupted: Bool

    public var exitCode: Int32 {
        if interrupted { return ExitStatus.interrupted }
        switch outcome {
        case .pass: return ExitStatus.pass
        case .fail: return ExitStatus.failure
        case .improved: return ExitStatus.improvementsOnly
        case .inconclusive: return ExitStatus.inconclusive
        }
    }

    /// PASS, FAIL, IMPROVED or INCONCLUSIVE.
    public var label: String { outcome.rawValue.uppercased() }
    /// Pass or improved: nothing got worse.
    public var isSuccess: Bool { outcome == .pass || outcome == .improved }

    /// - Parameters:
    ///   - kpis: the judged KPIs; any failure fails the run.
    ///   - problems: the run's own failed checks (nothing measured, a send that lost email, no knee...).
    ///   - comparison: against the baseline or build A, when there is one.
    ///   - advisory: show the comparison, but judge by the KPIs and checks alone.
    public static func make(kpis: [Summary.KPIResult], problems: [String], interrupted: Bool, comparison: Comparison?, advisory: Bool) -> Verdict {
        var reasons = kpis.filter { !$0.pass }.map { k in
            "KPI \(k.name): \(VerdictTable.format(k.value, k.unit)), threshold \(k.comparator) \(VerdictTable.format(k.threshold, k.unit))"
        } + problems
        if interrupted { reasons.insert("run interrupted", at: 0) }
        var outcome: Outcome = reasons.isEmpty ? .pass : .fail
        if let c = comparison {
            let line = (advisory ? "advisory, not judged: " : "") + c.headline
            switch c.outcome {
            case .regressed where !advisory: outcome = .fail
            case .inconclusive where !advisory && outcome == .pass: outcome = .inconclusive
            case .improved where !advisory && outcome == .pass: outcome = .improved
            default: break
            }
            if c.outcome != .unchanged || advisory { reasons.append(line) }
        }
        return Verdict(outcome: outcome, reasons: reasons, advisory: advisory, interrupted: interrupted)
    }
}
