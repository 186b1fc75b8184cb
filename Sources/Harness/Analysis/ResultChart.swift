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
