import Foundation
import Harness
import Testing
@testable import Reports

/// A scenario result Reports has never heard of: what a new scenario with figures of its own brings.
private struct TidesOutcome: ScenarioResult, Equatable {
    static let key = "tides"
    static let title = "Tides"
    var highWaterMs: Double
    var recoveredAfterS: Double?

    func render() -> String { String(format: "tides: high water %.1f ms\n", highWaterMs) }
    var headline: String { "high water \(highWaterMs) ms" }
    var problems: [String] { recoveredAfterS == nil ? ["the tide never went out"] : [] }
    var figures: [String: ScenarioFigure] { ["tides_per_s": ScenarioFigure(12, higherIsBetter: true), "high_water_ms": ScenarioFigure(highWaterMs, higherIsBetter: false)] }
}

/// One with a table, a chart and moments on the timeline, whose latencies are not for comparing (as a search's).
private struct SurveyOutcome: ScenarioResult {
    static let key = "survey"
    static let title = "Survey"
    func render() -> String { "survey done\n" }
    var headline: String { "surveyed" }
    var table: ResultTable? { ResultTable(header: ["depth", "ms"], rows: [["1", "2.50"], ["2", "9.75"]]) }
    var chart: ResultChart? {
        ResultChart(id: "chart-survey", title: "Depth against time", xLabel: "depth", yLabel: "ms",
                    series: [.init(name: "measured", color: "#1864ab", points: [(1, 2.5), (2, 9.75)], dots: true)], markers: [ResultMarker(x: 2, label: "deep")])
    }
    var timelineMarkers: [ResultMarker] { [ResultMarker(x: 0, label: "40/s"), ResultMarker(x: 5, label: "80/s")] }
    var comparesRequestMetrics: Bool { false }
}

/// A summary as it reads back from summary.json: the reports must not need the result's type.
private enum RoundTrip {
    static func decode(_ s: Summary) -> Summary { (try? Summary.decode(s.encoded())) ?? s }
}

@Suite struct ScenarioSectionTests {
    fileprivate func summary(_ r: TidesOutcome) -> Summary {
        SummaryBuilder.build(scenario: "tides", profile: "smoke", load: "test", target: "http://127.0.0.1:1", embedded: false,
                             result: SummaryTests.result(latenciesMs: [1, 2, 3]), kpis: [], results: [r], gitSha: "abc")
    }

    @Test func aResultReachesEveryReportWithoutReportsKnowingItsType() throws {
        let r = TidesOutcome(highWaterMs: 42.5, recoveredAfterS: 3)
        let s = summary(r)
        #expect(s.verdict.outcome == .pass)
        #expect(VerdictTable.render(s).contains("tides: high water 42.5 ms"))
        #expect(MarkdownReport.render(s).contains("## Tides\n\ntides: high water 42.5 ms"))
        #expect(HTMLReport.render(s).contains("<h2>Tides</h2><p>tides: high water 42.5 ms"))
        #expect(CombinedReport.headline(s) == "high water 42.5 ms")
        // summary.json keeps the fields under results.tides.data, in snake_case, and they decode back.
        let json = String(decoding: try s.encoded(), as: UTF8.self)
        #expect(json.contains("\"high_water_ms\" : 42.5"), "\(json)")
        let back = try Summary.decode(s.encoded())
        #expect(back.results == s.results && back.sections.first?.text == r.render())
        #expect(try back.results?["tides"]?.decode(TidesOutcome.self) == r)
    }

    @Test func tablesChartsAndTimelineMarksReachTheReports() throws {
        let s = SummaryBuilder.build(scenario: "survey", profile: "smoke", load: "test", target: "http://127.0.0.1:1", embedded: false,
                                     result: SummaryTests.result(latenciesMs: [1, 2, 3]), kpis: [], results: [SurveyOutcome()], gitSha: "abc")
        let console = VerdictTable.render(s)
        #expect(console.contains("depth") && console.contains("9.75") && console.contains("survey done"), "\(console)")
        #expect(MarkdownReport.render(s).contains("## Survey\n\n```\ndepth"))
        let html = HTMLReport.render(RoundTrip.decode(s))
        #expect(html.contains("<td>9.75</td>") && html.contains("id=\"chart-survey\"") && html.contains("<title>deep</title>"))
        // Where each step began, on the per-second charts (of a run with seconds to chart).
        var timed = ComparisonTests.summary(level: 5)
        timed.results = Summary.results(from: [SurveyOutcome()])
        #expect(HTMLReport.timelineMarks(timed).map(\.x) == [0, 5] && HTMLReport.render(timed).contains("class=\"marker\"><title>80/s</title>"))
        // Its latencies depend on how far it went: comparisons test only its figures.
        #expect(TrialFigures(s).scopes.isEmpty)
    }

    @Test func itsProblemsFailTheVerdictAndItsFiguresAreCompared() {
        let s = summary(TidesOutcome(highWaterMs: 42.5, recoveredAfterS: nil))
        #expect(s.verdict.outcome == .fail && s.problems.contains("tides: the tide never went out"), "\(s.problems)")
        let t = TrialFigures(s)
        #expect(t.figures == ["tides_per_s": 12, "high_water_ms": 42.5] && t.risingFigures == ["tides_per_s"])
        #expect(TrialFigures.higherIsBetter("tides_per_s", in: [t]) && !TrialFigures.higherIsBetter("high_water_ms", in: [t]))
    }
}
