/// A labelled vertical line on a chart.
public struct ResultMarker: Codable, Sendable, Equatable {
    public var x: Double
    public var label: String
    public init(x: Double, label: String) {
        self.x = x
        self.label = label
    }
}
