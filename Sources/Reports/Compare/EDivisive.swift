import Foundation
import Harness

/// Change points in a series by e-divisive means (Matteson and James, 2014), as MongoDB runs it on its
/// performance history (Daly et al., ICPE 2020): bisect at the split that maximises the energy statistic,
/// keep it if a permutation test says it is significant, and recurse into both sides.
public enum EDivisive {
    /// Indices where a new segment starts, ascending.
    public static func changePoints(_ series: [Double], minSegment: Int = 3, permutations: Int = 199,
                                     alpha: Double = 0.05, seed: UInt64 = 1) -> [Int] {
        var rng = SplitMix64(seed: seed)
        var found: [Int] = []
        var segments = [(0, series.count)]
        while let (lo, hi) = segments.popLast() {
            let part = Array(series[lo..<hi])
            guard let (tau, q) = bestSplit(part, minSegment: minSegment) else { continue }
            var exceed = 0
            var shuffled = part
            for _ in 0..<permutations {
                shuffled.shuffle(using: &rng)
                if let (_, qp) = bestSplit(shuffled, minSegment: minSegment), qp >= q { exceed += 1 }
            }
            let p = Double(exceed + 1) / Double(permutations + 1)
            guard p <= alpha else { continue }
            found.append(lo + tau)
            segments.append((lo, lo + tau))
            segments.append((lo + tau, hi))
        }
        return found.sorted()
    }

    /// The split index and energy statistic Q of the best split, or nil if the series is too short.
    static func bestSplit(_ z: [Double], minSegment: Int) -> (Int, Double)? {
        let n = z.count
        guard n >= 2 * minSegment, minSegment >= 2 else { return nil }
        // Moving the split right by one moves z[t] from the right part to the left: update the three sums in O(n).
        var left = 0.0, right = 0.0, cross = 0.0
        for j in 0..<n { for k in (j + 1)..<n { right += abs(z[j] - z[k]) } }
        var best: (Int, Double)?
        for t in 0..<(n - minSegment) {
            var toLeft = 0.0, toRight = 0.0
            for i in 0..<t { toLeft += abs(z[i] - z[t]) }
            for k in (t + 1)..<n { toRight += abs(z[t] - z[k]) }
            left += toLeft
            right -= toRight
            cross += toRight - toLeft
            let m = Double(t + 1), r = Double(n - t - 1)
            guard t + 1 >= minSegment else { continue }
            let e = 2 * cross / (m * r) - left / (m * (m - 1) / 2) - right / (r * (r - 1) / 2)
            let q = m * r / Double(n) * e
            if best == nil || q > best!.1 { best = (t + 1, q) }
        }
        return best
    }
}
