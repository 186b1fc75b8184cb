import Harness
import Foundation

/// Line charts as inline SVG, so report.html needs no script and no network.
public struct SVGChart {
    public struct Series {
        public var name: String
        public var color: String
        public var points: [(x: Double, y: Double)]
        public var dashed = false
        public init(name: String, color: String, points: [(x: Double, y: Double)], dashed: Bool = false) {
            self.name = name
            self.color = color
            self.points = points
            self.dashed = dashed
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
        let minX = all.map(\.x).min() ?? 0, maxX = max(all.map(\.x).max() ?? 1, minX + 1e-9)
        let maxY = Self.niceCeiling(max(all.map(\.y).max() ?? 1, 1e-9))
        func px(_ x: Double) -> Double { left + (min(max(x, minX), maxX) - minX) / (maxX - minX) * pw }
        func py(_ y: Double) -> Double { top + ph - y / maxY * ph }
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"\(XML.escape(id))\" class=\"chart\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\">"
        svg += "<text x=\"\(left)\" y=\"18\" class=\"title\">\(XML.escape(title))</text>"
        for b in bands {
            // At least 2 px wide, so an instant fault (a reset) still shows.
            let x0 = px(b.from), w = max(px(b.to) - x0, 2)
            svg += "<rect x=\"\(Self.f(x0))\" y=\"\(top)\" width=\"\(Self.f(w))\" height=\"\(Self.f(ph))\" class=\"band\"><title>\(XML.escape(b.label))</title></rect>"
        }
        for i in 0...4 {
            let y = maxY * Double(i) / 4
            svg += "<line x1=\"\(left)\" x2=\"\(left + pw)\" y1=\"\(Self.f(py(y)))\" y2=\"\(Self.f(py(y)))\" class=\"grid\"/>"
            svg += "<text x=\"\(left - 6)\" y=\"\(Self.f(py(y) + 4))\" text-anchor=\"end\" class=\"tick\">\(Self.label(y))</text>"
        }
        let ticks = xTicks ?? (0...5).map { i in let x = minX + (maxX - minX) * Double(i) / 5; return (x, Self.label(x)) }
        for t in ticks where t.x >= minX && t.x <= maxX {
            svg += "<text x=\"\(Self.f(px(t.x)))\" y=\"\(Self.f(top + ph + 16))\" text-anchor=\"middle\" class=\"tick\">\(XML.escape(t.label))</text>"
        }
        svg += "<line x1=\"\(left)\" x2=\"\(left)\" y1=\"\(top)\" y2=\"\(top + ph)\" class=\"axis\"/>"
        svg += "<line x1=\"\(left)\" x2=\"\(left + pw)\" y1=\"\(top + ph)\" y2=\"\(top + ph)\" class=\"axis\"/>"
        svg += "<text x=\"\(Self.f(left + pw / 2))\" y=\"\(Self.f(height - 6))\" text-anchor=\"middle\" class=\"label\">\(XML.escape(xLabel))</text>"
        svg += "<text x=\"14\" y=\"\(Self.f(top + ph / 2))\" transform=\"rotate(-90 14 \(Self.f(top + ph / 2)))\" text-anchor=\"middle\" class=\"label\">\(XML.escape(yLabel))</text>"
        for (i, s) in series.enumerated() where !s.points.isEmpty {
            let pts = s.points.map { "\(Self.f(px($0.x))),\(Self.f(py($0.y)))" }.joined(separator: " ")
            svg += "<polyline fill=\"none\" stroke=\"\(s.color)\" stroke-width=\"1.8\"\(s.dashed ? " stroke-dasharray=\"6 4\"" : "") points=\"\(pts)\"><title>\(XML.escape(s.name))</title></polyline>"
            let lx = left + 10 + Double(i) * 150
            svg += "<line x1=\"\(Self.f(lx))\" x2=\"\(Self.f(lx + 18))\" y1=\"\(top + 8)\" y2=\"\(top + 8)\" stroke=\"\(s.color)\" stroke-width=\"2\"\(s.dashed ? " stroke-dasharray=\"4 3\"" : "")/>"
            svg += "<text x=\"\(Self.f(lx + 22))\" y=\"\(top + 12)\" class=\"legend\">\(XML.escape(s.name))</text>"
        }
        return svg + "</svg>"
    }

    static func f(_ v: Double) -> String { String(format: "%.1f", v) }

    static func label(_ v: Double) -> String {
        if v == 0 { return "0" }
        if v >= 1000 { return String(format: "%.0f", v) }
        if v >= 10 { return String(format: "%.0f", v) }
        if v >= 1 { return String(format: "%.1f", v) }
        return String(format: "%.2f", v)
    }

    /// 1, 2 or 5 times a power of ten, at or above `v`.
    static func niceCeiling(_ v: Double) -> Double {
        let p = pow(10, floor(log10(v)))
        for m in [1.0, 2, 5, 10] where m * p >= v { return m * p }
        return 10 * p
    }
}
