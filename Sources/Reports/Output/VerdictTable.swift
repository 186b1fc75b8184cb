import Harness
import Environment
import Foundation

/// The short table `mailstorm run` prints: the KPIs, then the verdict.
public enum VerdictTable {
    public static func render(_ s: Summary) -> String {
        var out = "\(s.scenario) (\(s.profile)): \(s.load)\n"
        // A send or an import generates no request load of its own: its figures are below.
        if s.requests.total > 0 || !s.sections.contains(where: \.measured) {
        out += String(format: "requests %llu  ok %llu  errors %llu  dropped %llu  throughput %.1f req/s  over %.1f s\n",
                      s.requests.total, s.requests.ok, s.requests.errors, s.requests.dropped, s.throughputRps, s.durationS)
        out += String(format: "latency ms (from intended send)  p50 %.2f  p90 %.2f  p99 %.2f  p99.9 %.2f  max %.2f\n",
                      s.latencyMs.p50, s.latencyMs.p90, s.latencyMs.p99, s.latencyMs.p999, s.latencyMs.max)
        }
        let rows = s.kpis.map { k in
            [k.name, k.comparator + " " + Self.format(k.threshold, k.unit), k.measured, k.pass ? "pass" : "FAIL"]
        }
        if !rows.isEmpty { out += Table.render(header: ["KPI", "threshold", "measured", "result"], rows: rows) }
        for section in s.sections { out += section.plainText }
        if let f = s.faults { out += FaultText.render(f) }
        if let sv = s.services { out += ServicesText.render(sv) }
        if let st = s.serverStages { out += StagesText.render(st, summary: s) }
        if let p = s.serverProfile { out += ProfileText.render(p) } else if let n = s.profileNote { out += n + "\n" }
        out += render(s.verdict)
        return out
    }

    /// "verdict: FAIL" and each reason on its own line.
    public static func render(_ v: Verdict) -> String {
        "verdict: \(v.label)\(v.interrupted ? " (interrupted)" : "")\n" + v.reasons.map { "  - \($0)\n" }.joined()
    }

    static func format(_ v: Double, _ unit: String) -> String {
        // A KPI this run could not measure (a cache hit ratio of 0 lookups) fails; it says so rather than "nan%".
        if v.isNaN { return "not measured" }
        if unit == "ratio" { return String(format: "%.2f%%", v * 100) }
        if unit == "/h" { return String(format: "%.0f /h", v) }
        return String(format: "%.2f %@", v, unit)
    }
}
