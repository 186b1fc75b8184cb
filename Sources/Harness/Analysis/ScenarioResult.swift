/// A scenario's own answer beyond the request metrics: its figures, its checks, and its section in each report.
/// Reports know only this shape, so a scenario with figures of its own adds its result type and its catalog entry,
/// and touches nothing in Reports.
public protocol ScenarioResult: Codable, Sendable {
    /// Its key under `results` in summary.json ("spike").
    static var key: String { get }
    /// The heading of its report section ("Spike").
    static var title: String { get }
    /// The section as plain text: the console, report.md and report.html show it as it is.
    func render() -> String
    /// One line that answers the scenario's question (the comprehensive run's index).
    var headline: String { get }
    /// The run's failed checks that come from this result: any fails the verdict.
    var problems: [String] { get }
    /// Its figures by name: KPIs judge them (`KPI(figure:)`), comparisons test the compared ones trial against trial.
    var figures: [String: ScenarioFigure] { get }
    /// It measured something of its own (rows, emails) even if the run generated no requests: a run that
    /// measured nothing at all cannot pass.
    var measured: Bool { get }
    /// A table shown above `render()`'s text (the stress steps, the capacity levels).
    var table: ResultTable? { get }
    /// A chart of its own (capacity: throughput against concurrency, with the USL fit).
    var chart: ResultChart? { get }
    /// Moments marked on the run's per-second charts (seconds from the load's start): where each stress step began.
    var timelineMarkers: [ResultMarker] { get }
    /// Whether comparisons test the run's request latencies: not when they depend on how far a search went
    /// (one more step past the knee changes every percentile); then only its figures are compared.
    var comparesRequestMetrics: Bool { get }
}

extension ScenarioResult {
    public var problems: [String] { [] }
    public var figures: [String: ScenarioFigure] { [:] }
    public var measured: Bool { false }
    public var table: ResultTable? { nil }
    public var chart: ResultChart? { nil }
    public var timelineMarkers: [ResultMarker] { [] }
    public var comparesRequestMetrics: Bool { true }
}

/// A table of a result, as cells: each report lays it out its own way.
public struct ResultTable: Codable, Sendable, Equatable {
    public var header: [String]
    public var rows: [[String]]
    public init(header: [String], rows: [[String]]) {
        self.header = header
        self.rows = rows
    }
}

/// A labelled vertical line on a chart.
public struct ResultMarker: Codable, Sendable, Equatable {
    public var x: Double
    public var label: String
    public init(x: Double, label: String) {
        self.x = x
        self.label = label
    }
}

/// A chart of a result as data; report.html draws it.
public struct ResultChart: Codable, Sendable, Equatable {
    public struct Series: Codable, Sendable, Equatable {
        public var name: String
        public var color: String
        /// [x, y] pairs.
        public var points: [[Double]]
        public var dashed = false
        /// A dot at each point: measurements, as against a fitted curve.
        public var dots = false
        public init(name: String, color: String, points: [(Double, Double)], dashed: Bool = false, dots: Bool = false) {
            self.name = name
            self.color = color
            self.points = points.map { [$0.0, $0.1] }
            self.dashed = dashed
            self.dots = dots
        }
    }

    public var id: String
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series]
    public var markers: [ResultMarker]
    public init(id: String, title: String, xLabel: String, yLabel: String, series: [Series], markers: [ResultMarker] = []) {
        self.id = id
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
        self.markers = markers
    }
}

/// One comparable figure of a scenario result and which way is better.
public struct ScenarioFigure: Codable, Sendable, Equatable {
    public var value: Double
    public var higherIsBetter: Bool
    /// Tested in comparisons; false for a figure only a KPI reads (another form of a compared one: each
    /// compared row widens the family every p-value is corrected for).
    public var compared: Bool

    public init(_ value: Double, higherIsBetter: Bool, compared: Bool = true) {
        self.value = value
        self.higherIsBetter = higherIsBetter
        self.compared = compared
    }
}

extension Array where Element == any ScenarioResult {
    /// The result of one type, if the run produced it.
    public func first<T: ScenarioResult>(_: T.Type) -> T? { lazy.compactMap { $0 as? T }.first }
}
