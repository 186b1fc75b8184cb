import Harness
import Foundation

/// Line charts as inline SVG, so report.html needs no script and no network. Axes get round ticks in 1-2-5
/// steps with headroom above the data, and the chart scales down to a phone's width (viewBox).
public struct SVGChart {
    public struct Series {
        public var name: String
        public var color: String
        public var points: [(x: Double, y: Double)]
        public var dashed = false
        /// A dot at each point: measurements, as against a fitted curve.
        public var markers = false
        public init(name: String, color: String, points: [(x: Double, y: Double)], dashed: Bool = false, markers: Bool = false) {
            self.name = name
            self.color = color
            self.points = points
            self.dashed = dashed
            self.markers = markers
        }
    }

    public var id: String
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series]
    /// Tick labels for the x axis at given x positions (for the percentile spectrum's log scale).
    public var xTicks: [(x: Double, label: String)]?
    /// Shaded spans of x with a label each (fault windows), drawn under the lines.
    public var bands: [(from: Double, to: Double, label: String)] = []
    /// Horizontal spans of y with a label each (the baseline's trials, lowest to highest), drawn under the lines.
    public var yBands: [(from: Double, to: Double, label: String)] = []
    /// Vertical lines with a label each (a knee, a peak, the start of a stress step).
    public var markers: [(x: Double, label: String)] = []
    public var width = 760.0
    public var height = 280.0

    public init(id: String, title: String, xLabel: String, yLabel: String, series: [Series], xTicks: [(x: Double, label: String)]? = nil) {
        self.id = id
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
        self.xTicks = xTicks
    }

    public func render() -> String {
        let left = 60.0, right = 20.0, top = 30.0, bottom = 45.0
        let pw = width - left - right, ph = height - top - bottom
        let all = series.flatMap(\.points)
        let dataMinX = all.map(\.x).min() ?? 0, dataMaxX = max(all.map(\.x).max() ?? 1, dataMinX + 1e-9)
        // The x axis spans the data (time has no headroom to give); its ticks are round values inside it.
        let xScale = xTicks == nil ? NiceScale(from: dataMinX, to: dataMaxX, headroom: 0) : nil
        let minX = dataMinX, maxX = dataMaxX
        let yScale = NiceScale(from: 0, to: max((all.map(\.y) + yBands.map(\.to)).max() ?? 1, 1e-9), headroom: 0.08)
        let maxY = yScale.high
        func px(_ x: Double) -> Double { left + (min(max(x, minX), maxX) - minX) / (maxX - minX) * pw }
        func py(_ y: Double) -> Double { top + ph - min(max(y, 0), maxY) / maxY * ph }
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"\(XML.escape(id))\" class=\"chart\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\">"
        svg += "<text x=\"\(left)\" y=\"18\" class=\"title\">\(XML.escape(title))</text>"
        for b in bands {
            // At least 2 px wide, so an instant fault (a reset) still shows.
            let x0 = px(b.from), w = max(px(b.to) - x0, 2)
            svg += "<rect x=\"\(Self.f(x0))\" y=\"\(top)\" width=\"\(Self.f(w))\" height=\"\(Self.f(ph))\" class=\"band\"><title>\(XML.escape(b.label))</title></rect>"
        }
        for b in yBands {
            let y0 = py(b.to), h = max(py(b.from) - y0, 2)
            svg += "<rect x=\"\(left)\" y=\"\(Self.f(y0))\" width=\"\(Self.f(pw))\" height=\"\(Self.f(h))\" class=\"yband\"><title>\(XML.escape(b.label))</title></rect>"
            svg += "<text x=\"\(Self.f(left + pw - 4))\" y=\"\(Self.f(y0 - 3))\" text-anchor=\"end\" class=\"tick\">\(XML.escape(b.label))</text>"
        }
        for y in yScale.ticks {
            svg += "<line x1=\"\(left)\" x2=\"\(left + pw)\" y1=\"\(Self.f(py(y)))\" y2=\"\(Self.f(py(y)))\" class=\"grid\"/>"
            svg += "<text x=\"\(left - 6)\" y=\"\(Self.f(py(y) + 4))\" text-anchor=\"end\" class=\"tick\">\(yScale.label(y))</text>"
        }
        let ticks = xTicks ?? xScale!.ticks.map { ($0, xScale!.label($0)) }
        for t in ticks where t.x >= minX - 1e-9 && t.x <= maxX + 1e-9 {
            svg += "<text x=\"\(Self.f(px(t.x)))\" y=\"\(Self.f(top + ph + 16))\" text-anchor=\"middle\" class=\"tick\">\(XML.escape(t.label))</text>"
        }
        svg += "<line x1=\"\(left)\" x2=\"\(left)\" y1=\"\(top)\" y2=\"\(top + ph)\" class=\"axis\"/>"
        svg += "<line x1=\"\(left)\" x2=\"\(left + pw)\" y1=\"\(top + ph)\" y2=\"\(top + ph)\" class=\"axis\"/>"
        svg += "<text x=\"\(Self.f(left + pw / 2))\" y=\"\(Self.f(height - 6))\" text-anchor=\"middle\" class=\"label\">\(XML.escape(xLabel))</text>"
        svg += "<text x=\"14\" y=\"\(Self.f(top + ph / 2))\" transform=\"rotate(-90 14 \(Self.f(top + ph / 2)))\" text-anchor=\"middle\" class=\"label\">\(XML.escape(yLabel))</text>"
        for m in markers where m.x >= minX && m.x <= maxX {
            svg += "<line x1=\"\(Self.f(px(m.x)))\" x2=\"\(Self.f(px(m.x)))\" y1=\"\(top)\" y2=\"\(top + ph)\" class=\"marker\"><title>\(XML.escape(m.label))</title></line>"
            svg += "<text x=\"\(Self.f(px(m.x) + 4))\" y=\"\(top + 26)\" class=\"tick\">\(XML.escape(m.label))</text>"
        }
        var legendX = left + 10
        for s in series where !s.points.isEmpty {
            let pts = s.points.map { "\(Self.f(px($0.x))),\(Self.f(py($0.y)))" }.joined(separator: " ")
            svg += "<polyline fill=\"none\" stroke=\"\(s.color)\" stroke-width=\"1.8\"\(s.dashed ? " stroke-dasharray=\"6 4\"" : "") points=\"\(pts)\"><title>\(XML.escape(s.name))</title></polyline>"
            if s.markers {
                for p in s.points { svg += "<circle cx=\"\(Self.f(px(p.x)))\" cy=\"\(Self.f(py(p.y)))\" r=\"3\" fill=\"\(s.color)\"/>" }
            }
            svg += "<line x1=\"\(Self.f(legendX))\" x2=\"\(Self.f(legendX + 18))\" y1=\"\(top + 8)\" y2=\"\(top + 8)\" stroke=\"\(s.color)\" stroke-width=\"2\"\(s.dashed ? " stroke-dasharray=\"4 3\"" : "")/>"
            svg += "<text x=\"\(Self.f(legendX + 22))\" y=\"\(top + 12)\" class=\"legend\">\(XML.escape(s.name))</text>"
            legendX += 40 + Double(s.name.count) * 7
        }
        return svg + "</svg>"
    }

    static func f(_ v: Double) -> String { String(format: "%.1f", v) }
}

extension SVGChart {
    /// A scenario result's chart, as data (`ResultChart`), drawn.
    public init(_ c: ResultChart) {
        self.init(id: c.id, title: c.title, xLabel: c.xLabel, yLabel: c.yLabel, series: c.series.map {
            Series(name: $0.name, color: $0.color, points: $0.points.map { (x: $0[0], y: $0[1]) }, dashed: $0.dashed, markers: $0.dots)
        })
        markers = c.markers.map { (x: $0.x, label: $0.label) }
    }
}
