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
}

extension ScenarioResult {
    public var problems: [String] { [] }
    public var figures: [String: ScenarioFigure] { [:] }
    public var measured: Bool { false }
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
