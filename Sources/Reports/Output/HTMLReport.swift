import Foundation
import Harness
import Environment

/// report.html: one self-contained file (inline CSS and SVG, no scripts, no network) a person can open
/// from a CI artifact. It is also well-formed XML, which the tests check.
public enum HTMLReport {
    public static func render(_ s: Summary, comparison: Comparison? = nil, baseline: Baseline? = nil, flameGraph: String? = nil) -> String {
        var h = "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\"><head><meta charset=\"utf-8\"/>"
        h += "<title>\(XML.escape("Mailstorm \(s.scenario) (\(s.profile)): \(s.verdict.label)"))</title>"
        h += "<style>\(css)</style></head><body>"
        h += "<h1>Mailstorm: \(XML.escape(s.scenario)) <small>(\(XML.escape(s.profile)))</small></h1>"
        h += "<p class=\"verdict \(s.verdict.outcome.rawValue)\" id=\"verdict\">Verdict: \(s.verdict.label)\(s.interrupted ? " (run interrupted)" : "")</p>"
        if !s.verdict.reasons.isEmpty { h += "<ul class=\"reasons\">" + s.verdict.reasons.map { "<li>\(XML.escape($0))</li>" }.joined() + "</ul>" }
        h += table(["load", "target", "started", "duration", "machine", "git"], [[
            s.load, s.target + (s.embeddedStack ? " (embedded stack)" : ""), s.startedAt, String(format: "%.1f s", s.durationS),
            s.machine.fingerprint, String(s.gitSha.prefix(12)),
        ]])
        if let seg = s.segment { h += "<p>Segment \(XML.escape(seg)) of the load: <code>mailstorm merge</code> joins the segments.</p>" }
        if let parts = s.segments {
            h += "<h2>Segments</h2><p>Merged exactly from \(parts.count) segments (histograms added bucket by bucket):</p>"
                + table(["segment", "run folder"], parts.enumerated().map { ["\($0.offset)/\(parts.count)", $0.element] })
        }
        if !s.kpis.isEmpty {
            h += "<h2>KPIs</h2>" + table(["KPI", "threshold", "measured", "result", "source"], s.kpis.map {
                [$0.name, $0.comparator + " " + VerdictTable.format($0.threshold, $0.unit), $0.measured, $0.pass ? "pass" : "FAIL", $0.source]
            })
        }
        for section in s.sections {
            h += "<h2>\(XML.escape(section.title))</h2>" + (section.table.map { table($0.header, $0.rows) } ?? "")
            h += section.text.split(separator: "\n").map { "<p>\(XML.escape(String($0)))</p>" }.joined()
            if let c = section.chart { h += SVGChart(c).render() }
        }
        if let f = s.faults { h += "<h2>Faults</h2><p>\(XML.escape(FaultText.rule(f))) Shaded on the charts below.</p>" + table(FaultText.header(f), FaultText.rows(f)) }
        if let st = s.serverStages {
            h += "<h2>Where the time goes</h2><p>Per endpoint, latency at the client beside campaignd's own stages (Server-Timing), in ms.</p>"
            h += table(StagesText.header, StagesText.rows(st, summary: s))
        }
        if let p = s.serverProfile {
            h += "<h2>campaignd CPU profile</h2><p>\(p.samples) perf samples; hover a frame for its share.</p>"
            if let shares = ProfileText.shares(p) { h += "<p>\(XML.escape(shares))</p>" }
            if let svg = flameGraph { h += "<div class=\"flame\">" + svg + "</div>" }
            h += table(["self", "total", "function"], ProfileText.rows(p))
        } else if let n = s.profileNote {
            h += "<h2>campaignd CPU profile</h2><p>\(XML.escape(n))</p>"
        }
        if let sv = s.services {
            var services = sv
            services.pgTopStatements = nil
            h += "<h2>Services</h2>" + ServicesText.render(services).split(separator: "\n").map { "<p><code>\(XML.escape(String($0)))</code></p>" }.joined()
            let statements = ServicesText.statementRows(sv, queryWidth: 400)
            if !statements.isEmpty {
                h += "<p>Top statements (pg_stat_statements, by total time):</p>" + table(ServicesText.statementHeader, statements)
            }
        }
        h += "<h2>Requests</h2>" + table(["total", "ok", "errors", "dropped", "throughput", "peak in flight", "peak connections"], [[
            "\(s.requests.total)", "\(s.requests.ok)", "\(s.requests.errors)", "\(s.requests.dropped)", String(format: "%.1f req/s", s.throughputRps),
            "\(s.iterations.peakInFlight)", "\(s.iterations.peakConnections)",
        ]])
        h += "<h2>Over time</h2>"
        h += latencyChart(s, baseline: baseline).render()
        h += throughputChart(s).render()
        h += "<h2>Percentile spectrum</h2><p>Latency from intended send time against percentile, on HdrHistogram's 1/(1-p) scale.</p>"
        h += spectrumChart(s, baseline: baseline).render()
        h += "<h2>Latency (ms)</h2>" + table(["", "p50", "p90", "p95", "p99", "p99.9", "max", "mean"], [
            row("latency (from intended send)", s.latencyMs), row("service time (from actual send)", s.serviceTimeMs),
        ])
        h += "<h2>Per endpoint</h2>" + table(["endpoint", "requests", "errors", "req/s", "p50", "p95", "p99", "max"], s.perEndpoint.sorted { $0.key < $1.key }.map { n, e in
            [n, "\(e.requests)", "\(e.errors)", String(format: "%.1f", e.throughputRps)] + [e.latencyMs.p50, e.latencyMs.p95, e.latencyMs.p99, e.latencyMs.max].map { String(format: "%.2f", $0) }
        })
        if !s.errorsByClass.isEmpty {
            h += "<h2>Errors</h2>" + table(["class", "count"], s.errorsByClass.sorted { $0.key < $1.key }.map { [$0.key, "\($0.value)"] })
        }
        h += "<h2>Resource use</h2><p>Generator side: peak \(s.iterations.peakConnections) connections, peak \(s.iterations.peakInFlight) iterations in flight.</p>"
        if let res = s.resources, !res.isEmpty {
            let procs = res.sorted { $0.key < $1.key }
            h += table(["process", "CPU s", "CPU % (mean)", "memory MiB start", "end", "max", "memory slope KiB/s", "threads max", "files max"], procs.map { n, r in
                [n, String(format: "%.2f", r.cpuSeconds), String(format: "%.1f", r.cpuPercentMean), String(format: "%.1f", r.memoryStartMb),
                 String(format: "%.1f", r.memoryEndMb), String(format: "%.1f", r.memoryMaxMb), String(format: "%.1f", r.memorySlopeKbPerS), "\(r.threadsMax)", "\(r.fdsMax)"]
            })
            let colors = ["#1864ab", "#c92a2a", "#2b8a3e", "#e67700", "#862e9c"]
            h += SVGChart(id: "chart-cpu", title: "CPU per process (% of one core)", xLabel: "seconds", yLabel: "%", series: procs.enumerated().map { i, p in
                .init(name: p.key, color: colors[i % colors.count], points: p.value.series.map { ($0.t, $0.cpuPercent) })
            }).render()
            h += SVGChart(id: "chart-rss", title: "Memory per process, PSS (MiB)", xLabel: "seconds", yLabel: "MiB", series: procs.enumerated().map { i, p in
                .init(name: p.key, color: colors[i % colors.count], points: p.value.series.map { ($0.t, $0.memoryMb) })
            }).render()
        }
        h += "<h2>Baseline comparison</h2>"
        if let c = comparison {
            for w in c.notes { h += "<p class=\"warning\">\(XML.escape(w))</p>" }
            if s.verdict.advisory { h += "<p class=\"warning\">Advisory: shown, not judged.</p>" }
            h += "<p>Baseline \(XML.escape(String(c.baselineGitSha.prefix(12)))) of \(XML.escape(c.baselineCreatedAt)): \(c.currentTrials) trial(s) against \(c.baselineTrials), "
            h += "each a whole run on a fresh stack. Change is of the trials' geometric mean, with its 90% interval; the margin is the larger of the "
            h += "change asked about and three trial-to-trial standard deviations (docs/regression-detection.md). The dashed line in the percentile chart is the baseline.</p>"
            h += "<p><strong>Comparison: \(XML.escape(c.headline))</strong></p>"
            h += table(Comparison.header, c.rows.map(\.cells))
        } else {
            h += "<p>No baseline for \(XML.escape(s.scenario))-\(XML.escape(s.profile)).</p>"
        }
        return h + "</body></html>\n"
    }

    /// Per-second percentiles; with a baseline, its trials' p95 from lowest to highest as a band (a baseline keeps
    /// whole-trial figures, not seconds, so the band is what the comparison tests against).
    static func latencyChart(_ s: Summary, baseline: Baseline?) -> SVGChart {
        let series = [
            SVGChart.Series(name: "p50", color: "#2b8a3e", points: s.timeseries.map { ($0.t, $0.p50Ms) }),
            SVGChart.Series(name: "p95", color: "#e67700", points: s.timeseries.map { ($0.t, $0.p95Ms) }),
            SVGChart.Series(name: "p99", color: "#c92a2a", points: s.timeseries.map { ($0.t, $0.p99Ms) }),
        ]
        var chart = SVGChart(id: "chart-latency", title: "Latency per second (ms)", xLabel: "seconds", yLabel: "ms", series: series)
        chart.bands = faultBands(s)
        chart.markers = timelineMarks(s)
        let p95 = (baseline?.trials ?? []).filter { !$0.disturbed }.compactMap { $0.value("overall", .p95) }
        if let lo = p95.min(), let hi = p95.max() {
            chart.yBands = [(lo, hi, String(format: "baseline p95, %d trials: %.2f-%.2f ms", p95.count, lo, hi))]
        }
        return chart
    }

    /// What the scenario's results mark on the per-second charts (where each stress step began).
    static func timelineMarks(_ s: Summary) -> [(x: Double, label: String)] {
        s.sections.flatMap { $0.timelineMarkers ?? [] }.map { (x: $0.x, label: $0.label) }
    }

    /// Each fault from when it took effect to when its component was back.
    static func faultBands(_ s: Summary) -> [(from: Double, to: Double, label: String)] {
        (s.faults?.windows ?? []).map { (from: $0.began, to: $0.ended, label: $0.fault) }
    }

    static func throughputChart(_ s: Summary) -> SVGChart {
        var chart = SVGChart(id: "chart-throughput", title: "Throughput and errors per second", xLabel: "seconds", yLabel: "per second", series: [
            .init(name: "requests/s", color: "#1864ab", points: s.timeseries.map { ($0.t, $0.rps) }),
            .init(name: "errors/s", color: "#c92a2a", points: s.timeseries.map { ($0.t, Double($0.errors)) }),
        ])
        chart.bands = faultBands(s)
        chart.markers = timelineMarks(s)
        return chart
    }

    static func spectrumChart(_ s: Summary, baseline: Baseline?) -> SVGChart {
        func points(_ b64: String?) -> [(x: Double, y: Double)] {
            guard let b64, let h = try? HistogramCodec.decode(base64: b64), h.totalCount > 0 else { return [] }
            return h.percentiles(ticksPerHalfDistance: 5).compactMap { v in
                let p = v.percentileLevelIteratedTo / 100
                guard p < 0.99999 else { return nil }
                return (log10(1 / (1 - p)), Double(v.value) / 1000)
            }
        }
        var series = [SVGChart.Series(name: "this run", color: "#c92a2a", points: points(s.histograms["latency"]))]
        if let b = baseline { series.append(.init(name: "baseline", color: "#862e9c", points: points(b.histograms["latency"]), dashed: true)) }
        let ticks: [(x: Double, label: String)] = [(0, "0%"), (1, "90%"), (2, "99%"), (3, "99.9%"), (4, "99.99%"), (5, "99.999%")]
        return SVGChart(id: "chart-spectrum", title: "Latency by percentile (ms)", xLabel: "percentile", yLabel: "ms", series: series, xTicks: ticks)
    }

    static func row(_ label: String, _ p: Summary.Percentiles) -> [String] {
        [label] + [p.p50, p.p90, p.p95, p.p99, p.p999, p.max, p.mean].map { String(format: "%.2f", $0) }
    }

    static func table(_ header: [String], _ rows: [[String]]) -> String {
        "<table><thead><tr>" + header.map { "<th>\(XML.escape($0))</th>" }.joined() + "</tr></thead><tbody>"
            + rows.map { "<tr>" + $0.map { "<td\($0 == "FAIL" || $0 == "REGRESSED" ? " class=\"bad\"" : ($0 == "inconclusive" ? " class=\"unknown\"" : ""))>\(XML.escape($0))</td>" }.joined() + "</tr>" }.joined()
            + "</tbody></table>"
    }

    static let css = """
        body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:980px;color:#212529}
        h1 small{color:#868e96;font-weight:normal}table{border-collapse:collapse;margin:8px 0 16px}
        th,td{border:1px solid #dee2e6;padding:4px 8px;text-align:left}th{background:#f1f3f5}
        td.bad{color:#c92a2a;font-weight:bold}.verdict{font-size:20px;font-weight:bold}.pass,.improved{color:#2b8a3e}.fail{color:#c92a2a}.inconclusive,td.unknown{color:#e67700}
        .warning{background:#fff3bf;padding:8px;font-weight:bold}svg.chart{display:block;margin:8px 0 20px}
        .band{fill:#fff3bf;fill-opacity:.7}.grid{stroke:#e9ecef}.axis{stroke:#868e96}.tick{font-size:11px;fill:#495057}.label{font-size:12px;fill:#495057}
        .title{font-size:13px;font-weight:bold}.legend{font-size:12px}.marker{stroke:#495057;stroke-dasharray:3 3}.yband{fill:#862e9c;fill-opacity:.12}
        svg.chart{max-width:100%;height:auto}@media (max-width:600px){body{margin:8px}table{font-size:12px}}
        """
}
