import Foundation

/// report.md: the run at a glance for people, from the summary alone.
public enum MarkdownReport {
    public static func render(_ s: Summary, comparison: Comparison? = nil) -> String {
        var md = "# Mailstorm: \(s.scenario) (\(s.profile))\n\n"
        md += "**Verdict: \(s.verdict.label)**\(s.interrupted ? " (run interrupted)" : "")\n\n"
        md += s.verdict.reasons.map { "- \($0)\n" }.joined() + (s.verdict.reasons.isEmpty ? "" : "\n")
        md += "| | |\n|---|---|\n"
        md += "| load | \(s.load) |\n| target | \(s.target)\(s.embeddedStack ? " (embedded stack)" : "") |\n"
        md += "| started | \(s.startedAt) |\n| duration | \(String(format: "%.1f", s.durationS)) s |\n"
        md += "| machine | \(s.machine.fingerprint) |\n| git | \(s.gitSha) |\n"
        if let seg = s.segment { md += "| segment | \(seg) of the load (`mailstorm merge` joins the segments) |\n" }
        if let parts = s.segments { md += "| merged from | \(parts.count) segments: \(parts.joined(separator: ", ")) |\n" }
        md += "\n"
        md += "## Requests\n\n| total | ok | errors | dropped | throughput |\n|---|---|---|---|---|\n"
        md += "| \(s.requests.total) | \(s.requests.ok) | \(s.requests.errors) | \(s.requests.dropped) | \(String(format: "%.1f", s.throughputRps)) req/s |\n\n"
        if !s.errorsByClass.isEmpty {
            md += "Errors by class: " + s.errorsByClass.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + "\n\n"
        }
        // A one-line section reads as a paragraph; a longer one keeps its layout in a code block.
        for section in s.sections {
            let text = section.plainText
            md += "## \(section.title)\n\n" + (text.dropLast().contains("\n") ? "```\n" + text + "```\n\n" : text + "\n")
        }
        if let f = s.faults { md += "## Faults\n\n```\n" + FaultText.render(f) + "```\n\n" }
        if let sv = s.services { md += "## Services\n\n```\n" + ServicesText.render(sv) + "```\n\n" }
        if let st = s.serverStages { md += "## Where the time goes\n\n```\n" + StagesText.render(st, summary: s) + "```\n\n" }
        if let p = s.serverProfile { md += "## campaignd CPU profile\n\n![flame graph](\(p.svgFile))\n\n```\n" + ProfileText.render(p) + "```\n\n" }
        else if let n = s.profileNote { md += "## campaignd CPU profile\n\n\(n)\n\n" }
        if !s.kpis.isEmpty { md += "## KPIs\n\n| KPI | threshold | measured | result | source |\n|---|---|---|---|---|\n" }
        for k in s.kpis {
            md += "| \(k.name) | \(k.comparator) \(VerdictTable.format(k.threshold, k.unit)) | \(k.measured) | \(k.pass ? "pass" : "**FAIL**") | \(k.source) |\n"
        }
        md += "\n## Latency (ms)\n\nLatency is measured from each request's intended send time (coordinated omission corrected);"
        md += " service time from the moment it was written to the socket.\n\n"
        md += "| | p50 | p90 | p95 | p99 | p99.9 | max | mean |\n|---|---|---|---|---|---|---|---|\n"
        md += row("latency", s.latencyMs) + row("service time", s.serviceTimeMs)
        md += "\n## Per endpoint\n\n| endpoint | requests | errors | req/s | p50 | p95 | p99 | max |\n|---|---|---|---|---|---|---|---|\n"
        for (name, e) in s.perEndpoint.sorted(by: { $0.key < $1.key }) {
            md += "| \(name) | \(e.requests) | \(e.errors) | \(String(format: "%.1f", e.throughputRps)) | "
            md += [e.latencyMs.p50, e.latencyMs.p95, e.latencyMs.p99, e.latencyMs.max].map { String(format: "%.2f", $0) }.joined(separator: " | ") + " |\n"
        }
        if let c = comparison {
            md += "\n## Baseline comparison\n\n" + (s.verdict.advisory ? "Advisory: shown, not judged.\n\n" : "") + "```\n" + c.render() + "```\n"
        }
        return md
    }

    /// The verdict in a few lines, for `$GITHUB_STEP_SUMMARY` and pull-request comments: the verdict and why,
    /// the KPIs, and of the comparison only the figures that did not come out unchanged.
    public static func stepSummary(_ s: Summary, comparison: Comparison?) -> String {
        var md = "### Mailstorm \(s.scenario) (\(s.profile)): \(s.verdict.isSuccess ? s.verdict.label : "**\(s.verdict.label)**")\n\n"
        md += s.verdict.reasons.map { "- \($0)\n" }.joined() + (s.verdict.reasons.isEmpty ? "" : "\n")
        md += "\(s.load); \(s.requests.total) requests, \(s.requests.errors) errors, "
        md += String(format: "p50 %.2f ms, p95 %.2f ms, p99 %.2f ms (from intended send); git %@\n\n", s.latencyMs.p50, s.latencyMs.p95, s.latencyMs.p99, String(s.gitSha.prefix(12)))
        if !s.kpis.isEmpty {
            md += "| KPI | threshold | measured | result |\n|---|---|---|---|\n"
            for k in s.kpis { md += "| \(k.name) | \(k.comparator) \(VerdictTable.format(k.threshold, k.unit)) | \(k.measured) | \(k.pass ? "pass" : "**FAIL**") |\n" }
            md += "\n"
        }
        guard let c = comparison else { return md + "No baseline compared.\n" }
        md += "**Comparison: \(c.headline)**\n\n"
        md += c.notes.map { "> \($0)\n" }.joined(separator: ">\n") + (c.notes.isEmpty ? "" : "\n")
        let shown = c.rows.filter { $0.verdict != .unchanged }
        if shown.isEmpty { return md + "Every figure within its margin (\(c.rows.count) compared).\n" }
        md += "| " + Comparison.header.joined(separator: " | ") + " |\n|" + String(repeating: "---|", count: Comparison.header.count) + "\n"
        for r in shown { md += "| " + r.cells.map { $0.replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ") + " |\n" }
        return md + "\n\(c.rows.count - shown.count) other figure(s) unchanged.\n"
    }

    static func row(_ label: String, _ p: Summary.Percentiles) -> String {
        "| \(label) | " + [p.p50, p.p90, p.p95, p.p99, p.p999, p.max, p.mean].map { String(format: "%.2f", $0) }.joined(separator: " | ") + " |\n"
    }
}
