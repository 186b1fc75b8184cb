import Foundation
import Harness

/// A metric across stored runs, with change points found by e-divisive means.
public struct History: Sendable {
    public struct Point: Sendable {
        public var startedAt: String
        public var gitSha: String
        public var run: String
        public var value: Double
    }

    public var scenario: String
    public var metric: String
    public var points: [Point]
    /// Indices into `points` where a new level starts.
    public var changePoints: [Int]
    /// Run folders whose summary.json could not be read (another schema, or damaged): named, never skipped silently.
    public var unreadable: [String] = []

    public static let metrics = ComparedMetric.allCases.map(\.rawValue)

    /// Reads every run folder under `root` for `scenario`, oldest first.
    public static func load(root: String, scenario: String, metric: String, profile: String? = nil) throws -> History {
        guard metrics.contains(metric) else { throw ReportError("--metric '\(metric)': expected one of \(metrics.joined(separator: ", "))") }
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: root) else { throw ReportError("results folder '\(root)' cannot be read") }
        var points: [Point] = []
        var unreadable: [String] = []
        for name in names.sorted() {
            guard let data = FileManager.default.contents(atPath: "\(root)/\(name)/summary.json") else { continue }
            guard let s = try? Summary.decode(data) else { unreadable.append(name); continue }
            guard s.scenario == scenario, profile == nil || s.profile == profile, !s.interrupted else { continue }
            guard let m = ComparedMetric(rawValue: metric), let v = TrialFigures(s).value("overall", m) else { continue }
            points.append(Point(startedAt: s.startedAt, gitSha: s.gitSha, run: name, value: v))
        }
        points.sort { $0.startedAt < $1.startedAt }
        return History(scenario: scenario, metric: metric, points: points, changePoints: EDivisive.changePoints(points.map(\.value)),
                       unreadable: unreadable)
    }

    /// The trend table, a change point marked on the first run of its new level.
    public func renderTable() -> String {
        var out = "\(scenario) \(metric): \(points.count) runs, \(changePoints.count) change point(s)\n"
        out += Table.render(header: ["#", "started", "git", "value", ""], rows: points.enumerated().map { i, p in
            ["\(i + 1)", p.startedAt, String(p.gitSha.prefix(10)), Comparison.fmt(p.value), changePoints.contains(i) ? "<- change point" : ""]
        })
        for c in changePoints {
            let before = points[c - 1], after = points[c]
            out += "change point at run \(c + 1): \(before.run) (\(before.gitSha.prefix(10))) -> \(after.run) (\(after.gitSha.prefix(10)))\n"
        }
        return out
    }

    /// A self-contained HTML page with the trend chart and the change points.
    public func renderHTML() -> String {
        var chart = SVGChart(id: "chart-history", title: "\(scenario) \(metric) by run", xLabel: "run (oldest first)", yLabel: ComparedMetric(rawValue: metric).map { "\(metric) (\($0.unit))" } ?? metric,
                             series: [.init(name: metric, color: "#1864ab", points: points.enumerated().map { (Double($0.offset + 1), $0.element.value) })])
        chart.series += changePoints.map { c in
            let ys = points.map(\.value)
            return .init(name: "change at run \(c + 1)", color: "#c92a2a", points: [(Double(c) + 0.5, ys.min() ?? 0), (Double(c) + 0.5, ys.max() ?? 0)], dashed: true)
        }
        var h = "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\"><head><meta charset=\"utf-8\"/><title>\(XML.escape("History: \(scenario) \(metric)"))</title>"
        h += "<style>\(HTMLReport.css)</style></head><body><h1>History: \(XML.escape(scenario)) \(XML.escape(metric))</h1>"
        h += chart.render()
        h += HTMLReport.table(["#", "started", "git", "run", "value", "change point"], points.enumerated().map { i, p in
            ["\(i + 1)", p.startedAt, String(p.gitSha.prefix(12)), p.run, Comparison.fmt(p.value), changePoints.contains(i) ? "yes" : ""]
        })
        return h + "</body></html>\n"
    }
}
