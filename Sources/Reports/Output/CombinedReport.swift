import Harness
import Environment
import Foundation

/// The comprehensive run's index: one line per scenario with its verdict and headline figure, linking to its report.
public enum CombinedReport {
    public struct Entry: Sendable {
        public var folder: String
        public var summary: Summary
        public init(folder: String, summary: Summary) {
            self.folder = folder
            self.summary = summary
        }
    }

    /// The figure that answers each scenario's question.
    public static func headline(_ s: Summary) -> String {
        if let section = s.sections.first { return section.headline }
        return String(format: "p99 %.2f ms at %.1f req/s", s.latencyMs.p99, s.throughputRps)
    }

    /// The worst member verdict: fail, then inconclusive, then improved, then pass.
    public static func verdict(_ entries: [Entry]) -> Verdict {
        let order: [Verdict.Outcome] = [.fail, .inconclusive, .improved, .pass]
        let outcome = order.first { o in entries.contains { $0.summary.verdict.outcome == o } } ?? .fail
        let reasons = entries.flatMap { e in e.summary.verdict.reasons.map { "\(e.summary.scenario): \($0)" } }
        return Verdict(outcome: entries.isEmpty ? .fail : outcome, reasons: entries.isEmpty ? ["no scenario ran"] : reasons,
                       advisory: entries.contains { $0.summary.verdict.advisory }, interrupted: entries.contains { $0.summary.verdict.interrupted })
    }

    public static func markdown(_ entries: [Entry]) -> String {
        let v = verdict(entries)
        var md = "# Mailstorm: comprehensive\n\n**Verdict: \(v.label)**\n\n| scenario | verdict | answer | report |\n|---|---|---|---|\n"
        for e in entries {
            let l = e.summary.verdict.label
            md += "| \(e.summary.scenario) | \(e.summary.verdict.isSuccess ? l : "**\(l)**") | \(headline(e.summary)) | [\(e.folder)](\(e.folder)/report.md) |\n"
        }
        return md
    }

    public static func html(_ entries: [Entry]) -> String {
        let v = verdict(entries)
        var h = "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\"><head><meta charset=\"utf-8\"/><title>Mailstorm: comprehensive: \(v.label)</title>"
        h += "<style>\(HTMLReport.css)</style></head><body><h1>Mailstorm: comprehensive</h1>"
        h += "<p class=\"verdict \(v.outcome.rawValue)\">Verdict: \(v.label)</p><table><thead><tr><th>scenario</th><th>verdict</th><th>answer</th><th>report</th></tr></thead><tbody>"
        for e in entries {
            let ok = e.summary.verdict.isSuccess
            h += "<tr><td>\(XML.escape(e.summary.scenario))</td><td\(ok ? "" : " class=\"bad\"")>\(e.summary.verdict.label)</td><td>\(XML.escape(headline(e.summary)))</td>"
            h += "<td><a href=\"\(XML.escape(e.folder))/report.html\">\(XML.escape(e.folder))</a></td></tr>"
        }
        return h + "</tbody></table></body></html>\n"
    }
}
