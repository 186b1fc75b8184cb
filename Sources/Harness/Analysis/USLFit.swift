import Foundation

/// The Universal Scalability Law (Gunther): X(N) = λN / (1 + σ(N−1) + κN(N−1)), fitted by least squares.
///
/// λ is the throughput of one unit of concurrency, σ contention (serialisation), κ coherency (crosstalk).
/// For fixed σ and κ the best λ has a closed form, so the search is over (σ, κ) only: a coarse log grid,
/// then repeated zooming around the best point, then Levenberg-Marquardt over all three to the optimum.
public struct USLFit: Sendable, Equatable, Codable {
    public var lambda: Double
    public var sigma: Double
    public var kappa: Double
    /// Coefficient of determination of the fit.
    public var r2: Double

    public init(lambda: Double, sigma: Double, kappa: Double, r2: Double) {
        self.lambda = lambda
        self.sigma = sigma
        self.kappa = kappa
        self.r2 = r2
    }

    /// Throughput predicted at concurrency `n`.
    public func throughput(at n: Double) -> Double { lambda * n / (1 + sigma * (n - 1) + kappa * n * (n - 1)) }

    /// The concurrency of peak throughput, sqrt((1−σ)/κ); infinite when κ is 0.
    public var peakConcurrency: Double { kappa > 0 ? ((1 - sigma) / kappa).squareRoot() : .infinity }

    /// The fitted curve for a chart of points measured up to `maxN`: past the peak when it is near (to show the
    /// fall), at most four times the measured range; and the peak, when the curve reaches it.
    public func curve(measuredUpTo maxN: Double) -> (points: [(Double, Double)], peak: (n: Double, x: Double)?) {
        let end = peakConcurrency.isFinite ? min(max(maxN, peakConcurrency * 1.2), maxN * 4) : maxN
        let points = stride(from: 1.0, through: end, by: max((end - 1) / 120, 1e-3)).map { ($0, throughput(at: $0)) }
        return (points, peakConcurrency.isFinite && peakConcurrency <= end ? (peakConcurrency, throughput(at: peakConcurrency)) : nil)
    }

    /// Measured (concurrency, throughput) points with this fit's curve and its peak, as one chart: `mailstorm usl`
    /// and the capacity scenario draw the same thing.
    public func chart(id: String, points: [(n: Double, x: Double)], xLabel: String, yLabel: String) -> ResultChart {
        let c = curve(measuredUpTo: points.map(\.n).max() ?? 1)
        return ResultChart(id: id, title: "Throughput against concurrency, with the USL fit", xLabel: xLabel, yLabel: yLabel, series: [
            .init(name: "USL fit", color: "#c92a2a", points: c.points, dashed: true),
            .init(name: "measured", color: "#1864ab", points: points.sorted { $0.n < $1.n }.map { ($0.n, $0.x) }, dots: true),
        ], markers: c.peak.map { [ResultMarker(x: $0.n, label: String(format: "peak %.4g at %.4g", $0.x, $0.n))] } ?? [])
    }

    /// Fits points (concurrency, throughput); nil with fewer than three distinct concurrencies.
    public static func fit(_ points: [(n: Double, x: Double)]) -> USLFit? {
        guard Set(points.map(\.n)).count >= 3, points.allSatisfy({ $0.n >= 1 && $0.x >= 0 }) else { return nil }
        func g(_ n: Double, _ s: Double, _ k: Double) -> Double { n / (1 + s * (n - 1) + k * n * (n - 1)) }
        func solve(_ s: Double, _ k: Double) -> (Double, Double) {
            let num = points.reduce(0) { $0 + $1.x * g($1.n, s, k) }
            let den = points.reduce(0) { $0 + g($1.n, s, k) * g($1.n, s, k) }
            let l = den > 0 ? num / den : 0
            let sse = points.reduce(0) { $0 + pow($1.x - l * g($1.n, s, k), 2) }
            return (l, sse)
        }
        // Search in log space, with 0 allowed by an offset: σ in [1e-6, 1], κ in [1e-9, 1].
        var best = (s: 0.0, k: 0.0, l: 0.0, sse: Double.infinity)
        var sRange = (-6.0, 0.0), kRange = (-9.0, 0.0)
        for _ in 0..<6 {
            let steps = 40
            for i in 0...steps {
                for j in 0...steps {
                    let s = pow(10, sRange.0 + (sRange.1 - sRange.0) * Double(i) / Double(steps))
                    let k = pow(10, kRange.0 + (kRange.1 - kRange.0) * Double(j) / Double(steps))
                    for (ss, kk) in [(s, k), (0, k), (s, 0), (0, 0)] {
                        let (l, sse) = solve(ss, kk)
                        if sse < best.sse { best = (ss, kk, l, sse) }
                    }
                }
            }
            let ls = log10(max(best.s, 1e-6)), lk = log10(max(best.k, 1e-9))
            let ws = (sRange.1 - sRange.0) / 8, wk = (kRange.1 - kRange.0) / 8
            sRange = (max(-6, ls - ws), min(0, ls + ws))
            kRange = (max(-9, lk - wk), min(0, lk + wk))
        }
        let polished = polish(points, start: (best.s, best.k, best.l))
        let mean = points.reduce(0) { $0 + $1.x } / Double(points.count)
        let sst = points.reduce(0) { $0 + pow($1.x - mean, 2) }
        return USLFit(lambda: polished.l, sigma: polished.s, kappa: polished.k, r2: sst > 0 ? 1 - polished.sse / sst : 1)
    }

    /// Levenberg-Marquardt from the grid's best point: the grid finds the valley, and this walks along it to
    /// the least-squares optimum (σ and κ trade against each other, so the valley is long and narrow).
    static func polish(_ points: [(n: Double, x: Double)], start: (s: Double, k: Double, l: Double)) -> (s: Double, k: Double, l: Double, sse: Double) {
        func sse(_ s: Double, _ k: Double, _ l: Double) -> Double {
            points.reduce(0) { $0 + pow($1.x - l * $1.n / (1 + s * ($1.n - 1) + k * $1.n * ($1.n - 1)), 2) }
        }
        var (s, k, l) = start
        var current = sse(s, k, l), mu = 1e-3
        for _ in 0..<200 {
            // Normal equations JᵀJ δ = Jᵀr over (σ, κ, λ).
            var a = [[Double]](repeating: [0, 0, 0], count: 3), g = [0.0, 0, 0]
            for p in points {
                let d = 1 + s * (p.n - 1) + k * p.n * (p.n - 1)
                let j = [-l * p.n * (p.n - 1) / (d * d), -l * p.n * p.n * (p.n - 1) / (d * d), p.n / d]
                let r = p.x - l * p.n / d
                for i in 0..<3 { g[i] += j[i] * r; for m in 0..<3 { a[i][m] += j[i] * j[m] } }
            }
            var improved = false
            while mu < 1e12 {
                var m = a
                for i in 0..<3 { m[i][i] += mu * max(a[i][i], 1e-300) }
                guard let step = solve3(m, g) else { mu *= 10; continue }
                let ns = max(s + step[0], 0), nk = max(k + step[1], 0), nl = l + step[2]
                let next = sse(ns, nk, nl)
                if next < current {
                    let gain = current - next
                    (s, k, l, current) = (ns, nk, nl, next)
                    mu = max(mu / 10, 1e-12)
                    improved = gain > current * 1e-15
                    break
                }
                mu *= 10
            }
            if !improved { break }
        }
        return (s, k, l, current)
    }

    /// Solves a 3×3 system by Gaussian elimination with partial pivoting; nil when it is singular.
    static func solve3(_ m: [[Double]], _ b: [Double]) -> [Double]? {
        var a = m, y = b
        for c in 0..<3 {
            let p = (c..<3).max { abs(a[$0][c]) < abs(a[$1][c]) }!
            guard abs(a[p][c]) > 1e-300 else { return nil }
            a.swapAt(c, p); y.swapAt(c, p)
            for r in (c + 1)..<3 {
                let f = a[r][c] / a[c][c]
                for q in c..<3 { a[r][q] -= f * a[c][q] }
                y[r] -= f * y[c]
            }
        }
        var x = [0.0, 0, 0]
        for r in stride(from: 2, through: 0, by: -1) {
            x[r] = (y[r] - ((r + 1)..<3).reduce(0) { $0 + a[r][$1] * x[$1] }) / a[r][r]
        }
        return x
    }
}
