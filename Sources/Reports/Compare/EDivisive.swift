import Foundation
import Harness

/// Change points in a series by e-divisive means (Matteson and James, 2014), as MongoDB runs it on its
/// performance history (Daly et al., ICPE 2020), in the form of its reference implementation
/// (signal-processing-algorithms' `e_divisive`): with the change points found so far splitting the series into
/// windows, the candidate is the split with the largest energy statistic in any window; a permutation test
/// shuffles each window, takes the largest statistic over all of them, and keeps the candidate when
/// (times a shuffle did as well) / (permutations + 1) ≤ `pValue`. Repeat until a candidate fails.
/// Tests/CrossChecks/edivisive.json holds that implementation's answers on noisy series.
public enum EDivisive {
    /// 0.01: each nightly `history` call makes at least one such test over unchanged runs, so 0.05 would put a
    /// false change point in the history about every 20 nights; 0.01 about every 100 (docs/regression-detection.md).
    public static let defaultPValue = 0.01

    /// Indices where a new segment starts, ascending.
    public static func changePoints(_ series: [Double], pValue: Double = defaultPValue, permutations: Int = 499, seed: UInt64 = 1) -> [Int] {
        guard series.count >= 3 else { return [] }
        var rng = SplitMix64(seed: seed)
        var found: [Int] = []
        while true {
            let windows = zip([0] + found, found + [series.count]).map { ($0, $1) }.filter { $0.1 - $0.0 >= 2 }
            let candidates = windows.map { w -> (index: Int, t: Double) in
                let best = bestSplit(Array(series[w.0..<w.1]))
                return (w.0 + best.index, best.t)
            }
            guard let candidate = candidates.max(by: { $0.t < $1.t }), candidate.t > 0 else { break }
            var better = 0
            for _ in 0..<permutations {
                let best = windows.map { w -> Double in
                    var part = Array(series[w.0..<w.1])
                    part.shuffle(using: &rng)
                    return bestSplit(part).t
                }.max() ?? 0
                if best >= candidate.t { better += 1 }
            }
            guard Double(better) / Double(permutations + 1) <= pValue else { break }
            found = (found + [candidate.index]).sorted()
        }
        return found
    }

    /// The split (index of the right part's first value) with the largest statistic
    /// t = nm/(n+m) (2 mean|x-y| - mean|x-x'| - mean|y-y'|), the means over all ordered pairs (V-statistics).
    static func bestSplit(_ z: [Double]) -> (index: Int, t: Double) {
        let n = z.count
        // Moving the split right by one moves z[tau] from the right part to the left: update the sums in O(n).
        var x = 0.0, y = 0.0, xy = 0.0
        for j in 0..<n { for k in (j + 1)..<n { y += abs(z[j] - z[k]) } }
        var best = (index: 0, t: 0.0)
        for tau in 0..<n {
            let l = Double(tau), r = Double(n - tau)
            if tau > 0 {
                let e = 2 * xy / (l * r) - 2 * x / (l * l) - 2 * y / (r * r)
                let t = l * r / (l + r) * e
                if t > best.t { best = (tau, t) }
            }
            var toLeft = 0.0, toRight = 0.0
            for i in 0..<tau { toLeft += abs(z[i] - z[tau]) }
            for k in (tau + 1)..<n { toRight += abs(z[tau] - z[k]) }
            xy += toRight - toLeft
            x += toLeft
            y -= toRight
        }
        return best
    }
}
