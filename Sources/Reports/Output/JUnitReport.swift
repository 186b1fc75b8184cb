import Harness
import Foundation

/// junit.xml: a testcase for the verdict, one per KPI and one per compared figure, so any CI lists what
/// failed. The verdict testcase carries the one verdict; an advisory comparison's regressions and undecided
/// figures are skipped with their reason, never failures.
public enum JUnitReport {
    public static func render(_ s: Summary, comparison: Comparison?) -> String {
        let cls = XML.escape("mailstorm.\(s.scenario).\(s.profile)")
        func testcase(_ cls: String, _ name: String, _ body: String = "") -> String {
            "    <testcase classname=\"\(cls)\" name=\"\(XML.escape(name))\" time=\"0\">\(body)</testcase>\n"
        }
        func element(_ tag: String, _ message: String, type: String? = nil) -> String {
            "<\(tag) message=\"\(XML.escape(message))\"\(type.map { " type=\"\($0)\"" } ?? "")/>"
        }
        let v = s.verdict
        let verdictBody: String = switch v.outcome {
        case .pass, .improved: ""
        case .fail: element("failure", v.reasons.joined(separator: "; "), type: "verdict")
        case .inconclusive: element("error", v.reasons.joined(separator: "; "), type: "inconclusive")
        }
        var cases = [testcase("\(cls)", "verdict: \(v.label)", verdictBody)]
        for k in s.kpis {
            let msg = "\(k.name): measured \(VerdictTable.format(k.value, k.unit)), threshold \(k.comparator) \(VerdictTable.format(k.threshold, k.unit)) (\(k.source))"
            cases.append(testcase("\(cls).kpi", k.name, k.pass ? "" : element("failure", msg, type: "kpi")))
        }
        if let faults = s.faults {
            for w in faults.windows {
                cases.append(testcase("\(cls).fault", w.fault, faults.problem(w).map { element("failure", $0, type: "fault") } ?? ""))
            }
        }
        for r in comparison?.rows ?? [] {
            let body: String = switch r.verdict {
            case .regressed where !v.advisory: element("failure", "\(r.label) regressed, p=\(String(format: "%.2g", r.pValue))", type: "regression")
            case .regressed: element("skipped", "advisory, not judged: \(r.label) regressed")
            case .inconclusive: element("skipped", "inconclusive: \(r.label)")
            default: ""
            }
            cases.append(testcase("\(cls).\(XML.escape(r.scope))", r.metric, body))
        }
        let failures = cases.filter { $0.contains("<failure") }.count, errors = cases.filter { $0.contains("<error") }.count
        let skipped = cases.filter { $0.contains("<skipped") }.count
        let time = String(format: "%.3f", s.durationS)
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out += "<testsuites name=\"mailstorm\" tests=\"\(cases.count)\" failures=\"\(failures)\" errors=\"\(errors)\" time=\"\(time)\">\n"
        out += "  <testsuite name=\"\(cls)\" tests=\"\(cases.count)\" failures=\"\(failures)\" errors=\"\(errors)\" skipped=\"\(skipped)\" time=\"\(time)\" timestamp=\"\(XML.escape(s.startedAt))\">\n"
        if let notes = comparison?.notes, !notes.isEmpty { out += "    <system-out>\(XML.escape(notes.joined(separator: "\n")))</system-out>\n" }
        out += cases.joined()
        out += "  </testsuite>\n</testsuites>\n"
        return out
    }
}
