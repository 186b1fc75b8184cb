import Foundation

/// Student's t distribution: the CDF through the regularized incomplete beta function (Lentz's continued
/// fraction), the quantile by bisection. Tests check both against scipy.stats.t.
public enum StudentT {
    /// P(T ≤ t) with `df` degrees of freedom.
    public static func cdf(_ t: Double, df: Double) -> Double {
        guard df > 0, t.isFinite else { return t > 0 ? 1 : 0 }
        let x = df / (df + t * t)
        let tail = 0.5 * incompleteBeta(x, a: df / 2, b: 0.5)
        return t > 0 ? 1 - tail : tail
    }

    /// Two-sided p-value of `t`.
    public static func twoSidedP(_ t: Double, df: Double) -> Double {
        guard df > 0 else { return 1 }
        return min(1, 2 * (1 - cdf(abs(t), df: df)))
    }

    /// The t with P(T ≤ t) = p.
    public static func quantile(_ p: Double, df: Double) -> Double {
        guard p > 0, p < 1 else { return p <= 0 ? -.infinity : .infinity }
        if p < 0.5 { return -quantile(1 - p, df: df) }
        var lo = 0.0, hi = 1.0
        while cdf(hi, df: df) < p { hi *= 2; if hi > 1e12 { return .infinity } }
        for _ in 0..<200 {
            let mid = (lo + hi) / 2
            if cdf(mid, df: df) < p { lo = mid } else { hi = mid }
            if hi - lo < 1e-12 * max(1, hi) { break }
        }
        return (lo + hi) / 2
    }

    /// I_x(a, b).
    static func incompleteBeta(_ x: Double, a: Double, b: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let lnGammas: Double = lgamma(a + b) - lgamma(a) - lgamma(b)
        let lnFront: Double = lnGammas + a * log(x) + b * log(1 - x)
        // The continued fraction converges fast for x < (a+1)/(a+b+2); use the symmetry otherwise.
        if x < (a + 1) / (a + b + 2) { return exp(lnFront) * continuedFraction(x, a, b) / a }
        return 1 - exp(lnFront) * continuedFraction(1 - x, b, a) / b
    }

    static func continuedFraction(_ x: Double, _ a: Double, _ b: Double) -> Double {
        let tiny = 1e-300
        var c = 1.0, d = 1 - (a + b) * x / (a + 1)
        d = 1 / (abs(d) < tiny ? tiny : d)
        var f = d
        for m in 1...300 {
            let m = Double(m)
            let even: Double = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
            d = 1 + even * d; d = 1 / (abs(d) < tiny ? tiny : d)
            c = 1 + even / c; if abs(c) < tiny { c = tiny }
            f *= d * c
            let odd: Double = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
            d = 1 + odd * d; d = 1 / (abs(d) < tiny ? tiny : d)
            c = 1 + odd / c; if abs(c) < tiny { c = tiny }
            let delta = d * c
            f *= delta
            if abs(delta - 1) < 1e-15 { break }
        }
        return f
    }
}

/// The spread of several samples, each around its own mean: the noise that trial comparisons and the speed probe
/// judge by.
public enum PooledSpread {
    /// The pooled standard deviation and its degrees of freedom (sum of n - 1); nil when no sample has two values.
    public static func sigma(_ samples: [[Double]]) -> (sigma: Double, df: Int)? {
        let df = samples.reduce(0) { $0 + max($1.count - 1, 0) }
        guard df > 0 else { return nil }
        let ss = samples.reduce(0.0) { acc, xs in
            let m = xs.reduce(0, +) / Double(xs.count)
            return acc + xs.reduce(0) { $0 + ($1 - m) * ($1 - m) }
        }
        return ((ss / Double(df)).squareRoot(), df)
    }
}
