import Foundation
import Harness

/// results/<UTC timestamp>-<scenario>/: where one run's files go. Layout (docs/summary-schema.md):
/// run.json (written first), timeseries.csv and latency.hlog (appended every second), then summary.json,
/// report.md, report.html, junit.xml and, when a baseline was compared, comparison.json.
public struct RunFolder: Sendable {
    public let path: String

    /// Creates a fresh folder under `root` (default results/).
    public init(root: String, scenario: String, date: Date = Date()) throws {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        let name = FileName.safe(scenario)
        var p = "\(root)/\(f.string(from: date))-\(name)"
        var n = 2
        while FileManager.default.fileExists(atPath: p) { p = "\(root)/\(f.string(from: date))-\(name)-\(n)"; n += 1 }
        do { try FileManager.default.createDirectory(atPath: p, withIntermediateDirectories: true) } catch {
            throw ReportError("cannot create run folder \(p): \(error.localizedDescription)")
        }
        path = p
    }

    /// An existing run folder; the error names it if it is not one.
    public init(existing: String) throws {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: existing, isDirectory: &isDir), isDir.boolValue else {
            throw ReportError("run folder '\(existing)' does not exist")
        }
        guard ["summary.json", "run.json"].contains(where: { FileManager.default.fileExists(atPath: existing + "/" + $0) }) else {
            throw ReportError("'\(existing)' is not a run folder (no summary.json or run.json)")
        }
        path = existing
    }

    public func file(_ name: String) -> String { path + "/" + name }

    /// Fails, naming `root`, when run folders cannot be written there: checked before a run starts.
    public static func checkWritable(root: String) throws {
        let probe = "\(root)/.mailstorm-write-check-\(getpid())"
        do {
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
            try Data().write(to: URL(fileURLWithPath: probe))
            try FileManager.default.removeItem(atPath: probe)
        } catch {
            throw ReportError("output folder '\(root)' is not writable: \(error.localizedDescription)")
        }
    }

    /// Writes run.json before the load starts, so a killed run can still be reported.
    public func writeStart(_ info: RunInfo) throws {
        // Atomic (a temporary file renamed): a kill mid-write leaves the old file or none, never half of one.
        try ReportJSON.encoder.encode(info).write(to: URL(fileURLWithPath: file("run.json")), options: .atomic)
    }

    /// Writes summary.json and every report derived from it.
    public func write(_ s: Summary, comparison: Comparison? = nil, baseline: Baseline? = nil) throws {
        try s.encoded().write(to: URL(fileURLWithPath: file("summary.json")), options: .atomic)
        try MarkdownReport.render(s, comparison: comparison).write(toFile: file("report.md"), atomically: true, encoding: .utf8)
        // The flame graph is inlined so report.html stays one self-contained file; only a file of this folder,
        // and only an SVG without scripts (a summary from elsewhere must not inline /etc/passwd, or run code).
        let flame = s.serverProfile.flatMap { p -> String? in
            guard FileName.isSafe(p.svgFile), p.svgFile.hasSuffix(".svg"),
                  let text = try? String(contentsOfFile: file(p.svgFile), encoding: .utf8),
                  text.hasPrefix("<svg") || text.hasPrefix("<?xml"), !text.lowercased().contains("<script") else { return nil }
            return text
        }
        try HTMLReport.render(s, comparison: comparison, baseline: baseline, flameGraph: flame)
            .write(toFile: file("report.html"), atomically: true, encoding: .utf8)
        try JUnitReport.render(s, comparison: comparison).write(toFile: file("junit.xml"), atomically: true, encoding: .utf8)
        if let comparison { try ReportJSON.encoder.encode(comparison).write(to: URL(fileURLWithPath: file("comparison.json")), options: .atomic) }
    }

    /// run.json, written before the load started.
    public func readInfo() throws -> RunInfo {
        guard let d = FileManager.default.contents(atPath: file("run.json")) else { throw ReportError("\(path) has no run.json") }
        do { return try ReportJSON.decoder.decode(RunInfo.self, from: d) } catch {
            throw ReportError("\(file("run.json")) is not a valid run description: \(Baseline.describe(error))")
        }
    }

    /// comparison.json as the run judged it; nil when the run compared nothing.
    public func readComparison() throws -> Comparison? {
        guard let d = FileManager.default.contents(atPath: file("comparison.json")) else { return nil }
        do { return try ReportJSON.decoder.decode(Comparison.self, from: d) } catch {
            throw ReportError("\(file("comparison.json")) is not a valid comparison: \(Baseline.describe(error))")
        }
    }

    /// summary.json, or when it is missing (a killed run) or unreadable, the summary rebuilt from the raw files
    /// (`SummaryRecovery`), with a note saying why: what was measured is never lost to a damaged summary.
    public func summaryOrRecovered() throws -> (summary: Summary, note: String?) {
        guard FileManager.default.fileExists(atPath: file("summary.json")) else { return (try SummaryRecovery.recover(self), nil) }
        do { return (try readSummary(), nil) } catch {
            return (try SummaryRecovery.recover(self), "\(error); rebuilt from run.json, timeseries.csv and latency.hlog")
        }
    }

    public func readSummary() throws -> Summary {
        guard let d = FileManager.default.contents(atPath: file("summary.json")) else { throw ReportError("\(path) has no summary.json") }
        do { return try Summary.decode(d) } catch { throw ReportError("\(file("summary.json")) is not a valid summary: \(Baseline.describe(error))") }
    }
}

/// What run.json records before the load starts.
public struct RunInfo: Codable, Sendable {
    public var scenario: String
    public var profile: String
    public var load: String
    public var target: String
    public var kpiSet: String
    public var startedAt: String
    public var gitSha: String
    /// `--segment i/n`, when the run is one segment of its load.
    public var segment: String?
    /// The KPIs that judge the run (the set's and the file's thresholds): a merge of segments judges by them.
    public var kpis: [KPI]?
    public init(scenario: String, profile: String, load: String, target: String, kpiSet: String, startedAt: String, gitSha: String,
                segment: String? = nil, kpis: [KPI]? = nil) {
        self.segment = segment
        self.kpis = kpis
        self.scenario = scenario
        self.profile = profile
        self.load = load
        self.target = target
        self.kpiSet = kpiSet
        self.startedAt = startedAt
        self.gitSha = gitSha
    }
}
