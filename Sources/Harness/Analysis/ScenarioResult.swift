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

extension Array where Element == any ScenarioResult {
    /// The result of one type, if the run produced it.
    public func first<T: ScenarioResult>(_: T.Type) -> T? { lazy.compactMap { $0 as? T }.first }
}
