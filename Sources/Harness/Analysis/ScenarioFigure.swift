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
