import Foundation

/// A least-squares line through a series, with the 95% confidence interval of its slope: how endurance runs
/// tell drift from noise.
public struct Trend: Sendable, Codable, Equatable {
    /// Change per second.
    public var slope: Double
    /// Half-width of the slope's 95% confidence interval (Student's t).
    public var slopeCi95: Double
    public var intercept: Double
    public var samples: Int

    public init(slope: Double, slopeCi95: Double, intercept: Double, samples: Int) {
        self.slope = slope
        self.slopeCi95 = slopeCi95
        self.intercept = intercept
        self.samples = samples
    }

    /// True when the interval excludes zero: the series really drifts.
    public var significant: Bool { abs(slope) > slopeCi95 }

    /// Fits `points` (t, y); nil with fewer than three points or no spread in t.
    public static func fit(_ points: [(t: Double, y: Double)]) -> Trend? {
        let n = Double(points.count)
        guard points.count >= 3 else { return nil }
        let mt = points.reduce(0) { $0 + $1.t } / n, my = points.reduce(0) { $0 + $1.y } / n
        let sxx = points.reduce(0) { $0 + ($1.t - mt) * ($1.t - mt) }
        guard sxx > 0 else { return nil }
        let slope = points.reduce(0) { $0 + ($1.t - mt) * ($1.y - my) } / sxx
        let intercept = my - slope * mt
        let sse = points.reduce(0) { $0 + pow($1.y - (intercept + slope * $1.t), 2) }
        let se = (sse / (n - 2) / sxx).squareRoot()
        return Trend(slope: slope, slopeCi95: tQuantile975(points.count - 2) * se, intercept: intercept, samples: points.count)
    }

    /// Student's t 97.5% quantile for `df` degrees of freedom.
    static func tQuantile975(_ df: Int) -> Double { df >= 1 ? StudentT.quantile(0.975, df: Double(df)) : .infinity }
}
