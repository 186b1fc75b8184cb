import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
import Harness
import Environment
@testable import Reports

/// Collects element names and attributes while parsing, failing on malformed XML.
final class XMLCollector: NSObject, XMLParserDelegate {
    var elements: [(name: String, attributes: [String: String])] = []
    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
        elements.append((name, attributes))
    }

    static func parse(_ text: String) -> XMLCollector? {
        let c = XMLCollector()
        // The DOCTYPE line is HTML's, not XML's; the rest must be well-formed.
        let body = text.replacingOccurrences(of: "<!DOCTYPE html>\n", with: "")
        let p = XMLParser(data: Data(body.utf8))
        p.delegate = c
        return p.parse() ? c : nil
    }
}

@Suite struct OutputTests {
    static func compared() -> (Summary, Comparison, Baseline) {
        var s = ComparisonTests.summary(level: 13, seed: 2)
        s.perEndpoint = ["GET /x <&>": SummaryBuilder.build(scenario: "b", profile: "p", load: "", target: "", embedded: false,
                                                            result: SummaryTests.result(latenciesMs: [1, 2]), kpis: []).perEndpoint["GET /x"]!]
        let b = Baseline(from: ComparisonTests.summary(level: 10, seed: 1))
        let c = Comparison.compare(s, with: b)
        s.judge(comparison: c, advisory: false)
        return (s, c, b)
    }

    @Test func htmlIsWellFormedWithEveryChart() throws {
        let (s, c, b) = Self.compared()
        let html = HTMLReport.render(s, comparison: c, baseline: b)
        let xml = try #require(XMLCollector.parse(html), "report.html is not well-formed")
        let charts = Set(xml.elements.filter { $0.name == "svg" }.compactMap { $0.attributes["id"] })
        #expect(charts == ["chart-latency", "chart-throughput", "chart-spectrum"])
        let polylines = xml.elements.filter { $0.name == "polyline" }.count
        #expect(polylines == 7)  // p50, p95, p99, rps, errors, spectrum, baseline spectrum
        #expect(!html.contains("<script") && !html.contains("http://") || html.contains("http://www.w3.org"))
        #expect(html.contains("REGRESSED"))
    }

    @Test func theStepSummaryShowsTheVerdictAndOnlyTheFiguresThatMoved() throws {
        let (s, c, _) = Self.compared()
        let md = MarkdownReport.stepSummary(s, comparison: c)
        #expect(md.hasPrefix("### Mailstorm \(s.scenario) (\(s.profile)): **\(s.verdict.label)**"), "\(md)")
        #expect(md.contains("**Comparison: regressed") && md.contains("| REGRESSED |") && !md.contains("| unchanged |"), "\(md)")
        #expect(md.contains("other figure(s) unchanged") && md.contains("| KPI | threshold | measured | result |"))
        let quiet = MarkdownReport.stepSummary(ComparisonTests.summary(level: 10), comparison: nil)
        #expect(quiet.contains("No baseline compared."))
        // What the run wrote is what the summary reads back: comparison.json round-trips.
        let data = try ReportJSON.encoder.encode(c)
        #expect(try ReportJSON.decoder.decode(Comparison.self, from: data).rows == c.rows)
    }

    @Test func junitHasATestcasePerKPIAndComparedMetric() throws {
        let (s, c, _) = Self.compared()
        let xml = try #require(XMLCollector.parse(JUnitReport.render(s, comparison: c)))
        let suites = xml.elements.filter { $0.name == "testsuite" }
        let cases = xml.elements.filter { $0.name == "testcase" }
        let failures = xml.elements.filter { $0.name == "failure" }
        #expect(suites.count == 1)
        #expect(cases.count == 1 + s.kpis.count + c.rows.count)
        let root = try #require(xml.elements.first)
        #expect(root.name == "testsuites")
        #expect(Int(root.attributes["tests"]!) == cases.count)
        #expect(Int(root.attributes["failures"]!) == failures.count)
        #expect(failures.count == 1 + s.kpis.filter { !$0.pass }.count + c.regressions.count)
        for suite in suites { for attr in ["name", "tests", "failures", "errors", "time"] { #expect(suite.attributes[attr] != nil) } }
        for tc in cases { #expect(tc.attributes["classname"] != nil && tc.attributes["name"] != nil) }
    }

    @Test func aKilledRunIsRecoveredFromItsFiles() throws {
        let root = NSTemporaryDirectory() + "recover-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let folder = try RunFolder(root: root, scenario: "basic")
        try folder.writeStart(RunInfo(scenario: "basic", profile: "smoke", load: "x", target: "t", kpiSet: "api", startedAt: "now", gitSha: "abc"))
        let csv = try TimeseriesCSVSink(path: folder.file("timeseries.csv"))
        let log = try HdrLogSink(path: folder.file("latency.hlog"))
        for i in 0..<3 {
            var h = LatencyHistogram.latency()
            for _ in 0..<100 { h.recordNanos(2_000_000) }
            let snap = IntervalSnapshot(index: i, startNanos: UInt64(i) * 1_000_000_000, lengthNanos: 1_000_000_000, latency: h, requests: 100,
                                        ok: 100, errors: 0, dropped: 0, inFlight: 0, connections: 1, plannedNanos: 10_000_000_000, endpoints: [])
            csv.intervalCompleted(snap)
            log.intervalCompleted(snap)
        }
        // Killed mid-write: a torn last line.
        let handle = try #require(FileHandle(forWritingAtPath: folder.file("timeseries.csv")))
        handle.seekToEndOfFile()
        handle.write(Data("3.000,10".utf8))
        let s = try SummaryRecovery.recover(RunFolder(existing: folder.path))
        #expect(s.requests.total == 300)
        #expect(s.interrupted && s.verdict.outcome == .fail)
        #expect(abs(s.latencyMs.p50 - 2) < 0.01)
        #expect(s.timeseries.count == 3)
        // A damaged summary.json loses nothing either: the raw files rebuild it, with a note naming the file.
        try Data("{\"schema_version\": 2, \"scen".utf8).write(to: URL(fileURLWithPath: folder.file("summary.json")))
        let (again, note) = try RunFolder(existing: folder.path).summaryOrRecovered()
        #expect(again.requests.total == 300 && note?.contains("summary.json is not a valid summary") == true)
        // A damaged run.json is named, not a bare decoding error.
        try Data("{\"scenario\": \"ba".utf8).write(to: URL(fileURLWithPath: folder.file("run.json")))
        #expect { _ = try RunFolder(existing: folder.path).summaryOrRecovered() } throws: { "\($0)".contains("run.json is not a valid run description") }
    }
}

@Suite struct CombinedReportTests {
    @Test func indexListsEveryScenarioAndIsWellFormed() throws {
        let s = ComparisonTests.summary(level: 5)
        var failed = s
        failed.kpis[0].pass = false
        failed.judge(comparison: nil, advisory: false)
        let entries = [CombinedReport.Entry(folder: "a-basic", summary: s), CombinedReport.Entry(folder: "b-stress", summary: failed)]
        let html = CombinedReport.html(entries)
        let xml = try #require(XMLCollector.parse(html))
        #expect(xml.elements.filter { $0.name == "a" }.compactMap { $0.attributes["href"] } == ["a-basic/report.html", "b-stress/report.html"])
        #expect(html.contains("Verdict: FAIL"))
        #expect(CombinedReport.markdown(Array(entries.prefix(1))).contains("**Verdict: PASS**"))
    }
}

/// Names and files from summaries Mailstorm did not write stay inside the folder meant for them.
@Suite struct HostileSummaryTests {
    @Test func namesBecomeOnePlainPathComponent() {
        #expect(FileName.safe("basic") == "basic" && FileName.safe("../../etc/x") == ".._.._etc_x")
        #expect(FileName.safe("..") == "_.." && FileName.safe("") == "_" && FileName.safe(String(repeating: "a", count: 99)).count == 64)
        #expect(Baseline.path(scenario: "../../x", profile: "smoke") == "baselines/.._.._x-smoke.json")
        let root = NSTemporaryDirectory() + "hostile-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let f = try? RunFolder(root: root, scenario: "../../escaped")
        #expect(f.map { ($0.path as NSString).deletingLastPathComponent == root } == true, "\(f?.path ?? "none")")
    }

    /// svg_file names a file of the run folder, and only an SVG without script is inlined into report.html.
    @Test func onlyTheRunsOwnScriptFreeFlameGraphIsInlined() throws {
        let root = NSTemporaryDirectory() + "hostile-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let folder = try RunFolder(root: root, scenario: "basic")
        let secret = root + "/secret.svg"
        try "<svg>TOP-SECRET</svg>".write(toFile: secret, atomically: true, encoding: .utf8)
        var (s, _, _) = OutputTests.compared()
        for (name, content) in [("../secret.svg", nil), ("flamegraph.svg", "<svg><script>alert(1)</script></svg>"), ("own.svg", "<svg>OWN-GRAPH</svg>")] {
            if let content { try content.write(toFile: folder.path + "/" + name, atomically: true, encoding: .utf8) }
            s.serverProfile = ServerProfile(samples: 1, top: [], foldedFile: "x.folded", svgFile: name)
            try folder.write(s)
            let html = try String(contentsOfFile: folder.path + "/report.html", encoding: .utf8)
            #expect(!html.contains("TOP-SECRET") && !html.contains("alert(1)"), "\(name)")
            if name == "own.svg" { #expect(html.contains("OWN-GRAPH")) }
        }
    }
}

