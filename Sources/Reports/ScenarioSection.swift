import Foundation
import Harness

/// A scenario result as summary.json keeps it (`results.<key>`): rendered once, when it was measured, with its
/// comparable figures and its own fields, so every report reads it back without knowing its type.
public struct ScenarioSection: Codable, Sendable, Equatable {
    public var title: String
    public var text: String
    public var headline: String
    public var figures: [String: ScenarioFigure]
    public var measured: Bool
    public var table: ResultTable?
    public var chart: ResultChart?
    public var timelineMarkers: [ResultMarker]?
    public var comparesRequestMetrics: Bool
    /// The result's own fields, as its type encodes them (snake_case keys).
    public var data: JSONValue

    public init(_ r: some ScenarioResult) {
        title = type(of: r).title
        text = r.render()
        headline = r.headline
        figures = r.figures
        measured = r.measured
        table = r.table
        chart = r.chart
        timelineMarkers = r.timelineMarkers.isEmpty ? nil : r.timelineMarkers
        comparesRequestMetrics = r.comparesRequestMetrics
        data = (try? ReportJSON.encoder.encode(r)).flatMap { try? Self.plain.decode(JSONValue.self, from: $0) } ?? .null
    }

    /// Decodes the kept fields as `T` (tests, tools).
    public func decode<T: ScenarioResult>(_: T.Type) throws -> T {
        try ReportJSON.decoder.decode(T.self, from: ReportJSON.encoder.encode(data))
    }

    /// No key conversion: the fields stay as the result's encoder wrote them.
    private static var plain: JSONDecoder {
        let d = JSONDecoder()
        d.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return d
    }
}

extension ScenarioSection {
    /// The table (if any) and the text, as the console and report.md show them.
    public var plainText: String { (table.map { Table.render(header: $0.header, rows: $0.rows) } ?? "") + text }
}

extension Summary {
    /// The scenario's result sections, in key order.
    public var sections: [ScenarioSection] { (results ?? [:]).sorted { $0.key < $1.key }.map(\.value) }

    /// Builds the `results` of a summary from a run's results, keyed by their types' keys.
    public static func results(from rs: [any ScenarioResult]) -> [String: ScenarioSection]? {
        rs.isEmpty ? nil : Dictionary(rs.map { (type(of: $0).key, ScenarioSection($0)) }, uniquingKeysWith: { a, _ in a })
    }
}
