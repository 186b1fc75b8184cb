import Harness
import Foundation

/// junit.xml: one testcase per KPI and per compared metric, so any CI lists the failures.
public enum JUnitReport {
    public static func render(_ s: Summary, comparison: Comparison?) -> String {
        let cls = "mailstorm.\(s.scenario).\(s.profile)"
        var kpiCases = ""
        for k in s.kpis {
            kpiCases += "    <testcase classname=\"\(XML.escape(cls)).kpi\" name=\"\(XML.escape(k.name))\" time=\"0\">"
            if !k.pass {
                let msg = "\(k.name): measured \(VerdictTable.format(k.value, k.unit)), threshold \(VerdictTable.format(k.threshold, k.unit)) (\(k.source))"
                kpiCases += "<failure message=\"\(XML.escape(msg))\" type=\"kpi\"/>"
            }
            kpiCases += "</testcase>\n"
        }
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        let cmpRows = comparison?.rows ?? []
        let kpiFailures = s.kpis.filter { !$0.pass }.count
        let cmpFailures = cmpRows.filter { $0.verdict == .regressed }.count
        out += "<testsuites name=\"mailstorm\" tests=\"\(s.kpis.count + cmpRows.count)\" failures=\"\(kpiFailures + cmpFailures)\" errors=\"0\" time=\"\(String(format: "%.3f", s.durationS))\">\n"
        out += "  <testsuite name=\"\(XML.escape(cls)).kpis\" tests=\"\(s.kpis.count)\" failures=\"\(kpiFailures)\" errors=\"0\" skipped=\"0\" time=\"\(String(format: "%.3f", s.durationS))\" timestamp=\"\(XML.escape(s.startedAt))\">\n"
        out += kpiCases
        out += "  </testsuite>\n"
        if let comparison {
            out += "  <testsuite name=\"\(XML.escape(cls)).regression\" tests=\"\(cmpRows.count)\" failures=\"\(cmpFailures)\" errors=\"0\" skipped=\"0\" time=\"0\" timestamp=\"\(XML.escape(s.startedAt))\">\n"
            if let w = comparison.warning { out += "    <system-out>\(XML.escape(w))</system-out>\n" }
            for r in cmpRows {
                out += "    <testcase classname=\"\(XML.escape(cls)).\(XML.escape(r.scope))\" name=\"\(XML.escape(r.metric))\" time=\"0\">"
                if r.verdict == .regressed {
                    let change = r.changePercent.map { String(format: "%+.1f%%", $0) } ?? "n/a"
                    let msg = "\(r.scope) \(r.metric) regressed: \(Comparison.fmt(r.baseline)) -> \(Comparison.fmt(r.current)) (\(change), p=\(String(format: "%.3g", r.pValue)))"
                    out += "<failure message=\"\(XML.escape(msg))\" type=\"regression\"/>"
                }
                out += "</testcase>\n"
            }
            out += "  </testsuite>\n"
        }
        out += "</testsuites>\n"
        return out
    }
}
