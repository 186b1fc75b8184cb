import Foundation

/// The Mann-Whitney U test (two-sided), which assumes no normality: asv and Google Benchmark's compare.py
/// use it for the same job. Normal approximation with tie correction; exact enough from about 8 samples a side.
public enum MannWhitney {
    public struct Result: Sendable, Equatable {
        public var u: Double
        /// Two-sided p-value; 1 when either side is empty or all values tie.
        public var p: Double
    }

    public static func test(_ a: [Double], _ b: [Double]) -> Result {
        let n1 = Double(a.count), n2 = Double(b.count)
        guard n1 > 0, n2 > 0 else { return Result(u: 0, p: 1) }
        let all = (a.map { ($0, 0) } + b.map { ($0, 1) }).sorted { $0.0 < $1.0 }
        var ranks = [Double](repeating: 0, count: all.count)
        var tieTerm = 0.0
        var i = 0
        while i < all.count {
            var j = i
            while j + 1 < all.count && all[j + 1].0 == all[i].0 { j += 1 }
            let r = Double(i + j) / 2 + 1
            for k in i...j { ranks[k] = r }
            let t = Double(j - i + 1)
            tieTerm += t * t * t - t
            i = j + 1
        }
        let r1 = zip(all, ranks).filter { $0.0.1 == 0 }.reduce(0) { $0 + $1.1 }
        let u1 = r1 - n1 * (n1 + 1) / 2
        let n = n1 + n2
        let variance = n1 * n2 / 12 * ((n + 1) - tieTerm / (n * (n - 1)))
        guard variance > 0 else { return Result(u: u1, p: 1) }
        let z = (abs(u1 - n1 * n2 / 2) - 0.5) / variance.squareRoot()  // continuity correction
        return Result(u: u1, p: min(1, erfc(max(z, 0) / 2.squareRoot())))
    }
}
