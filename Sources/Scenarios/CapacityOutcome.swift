import Foundation
import Harness

/// What a capacity sweep found: the levels, the USL fit, the knee and a projection to a target load.
public struct CapacityOutcome: ScenarioResult, Equatable {
    public static let key = "capacity"
    public static let title = "Capacity"

    public var levels: [CapacityLevel]
    public var usl: USLFit?
    /// Highest measured throughput (req/s) of a level that met the SLO.
    public var kneeRps: Double?
    /// Concurrency of peak throughput by the fit, and that throughput.
    public var peakConcurrency: Double?
    public var peakRps: Double?
    public var targetRps: Double
    /// Instances of this size needed for `targetRps` at the SLO: target / knee, rounded up.
    public var instancesNeeded: Int?

    public init(levels: [CapacityLevel], usl: USLFit?, kneeRps: Double?, targetRps: Double) {
        self.levels = levels
        self.usl = usl
        self.kneeRps = kneeRps
        self.targetRps = targetRps
        peakConcurrency = usl.flatMap { $0.peakConcurrency.isFinite ? $0.peakConcurrency : nil }
        peakRps = usl.flatMap { u in peakConcurrency.map { u.throughput(at: $0) } }
        instancesNeeded = kneeRps.map { Int((targetRps / $0).rounded(.up)) }
    }

    public var table: ResultTable? {
        ResultTable(header: ["VUs", "req/s", "p99 ms", "errors", "SLO"], rows: levels.map {
            ["\($0.vus)", String(format: "%.1f", $0.throughput), String(format: "%.2f", $0.p99Ms),
             String(format: "%.2f%%", $0.errorRate * 100), $0.pass ? "meets SLO" : "BREAKS"]
        })
    }

    public func render() -> String {
        var out = ""
        if let u = usl {
            out += String(format: "USL fit: lambda %.1f req/s per VU, sigma %.4f, kappa %.6f, R² %.3f", u.lambda, u.sigma, u.kappa, u.r2)
            if let n = peakConcurrency, let x = peakRps { out += String(format: "; peak %.0f req/s at %.0f VUs", x, n) }
            out += "\n"
        }
        if let k = kneeRps, let n = instancesNeeded {
            out += String(format: "knee: %.1f req/s at p99 ≤ 100 ms; %.0f req/s needs %d campaignd instance(s) of this size\n", k, targetRps, n)
        } else {
            out += "knee: no level met the SLO\n"
        }
        return out
    }

    public var headline: String {
        "knee " + (kneeRps.map { String(format: "%.0f req/s", $0) } ?? "none") + (instancesNeeded.map { ", \($0) instance(s) for target" } ?? "")
    }

    public var problems: [String] { kneeRps == nil ? ["no concurrency level met the SLO"] : [] }

    public var figures: [String: ScenarioFigure] { kneeRps.map { ["capacity_knee_rps": ScenarioFigure($0, higherIsBetter: true)] } ?? [:] }

    /// Throughput against concurrency: the measured levels, the USL fit's curve with its peak, and the knee.
    public var chart: ResultChart? {
        let points = levels.map { (n: Double($0.vus), x: $0.throughput) }
        var chart = usl?.chart(id: "chart-capacity", points: points, xLabel: "virtual users", yLabel: "req/s")
            ?? ResultChart(id: "chart-capacity", title: "Throughput against concurrency", xLabel: "virtual users", yLabel: "req/s",
                           series: [.init(name: "measured", color: "#1864ab", points: points.map { ($0.n, $0.x) }, dots: true)])
        if let k = kneeRps, let level = levels.first(where: { $0.pass && $0.throughput == k }) {
            chart.markers.append(ResultMarker(x: Double(level.vus), label: String(format: "knee %.0f req/s", k)))
        }
        return chart
    }

    public var comparesRequestMetrics: Bool { false }
}
