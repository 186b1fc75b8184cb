import Foundation
import Testing
@testable import Harness

/// LatencyHistogram's own percentile and mean walk give exactly what hdrhistogram-swift's `valueAtPercentile` and
/// `mean` give (code no one here wrote), on histograms from a fixed seed.
@Suite struct HistogramMathTests {
    static let percentiles: [Double] = [-1, 0, 0.001, 1, 10, 25, 50, 75, 90, 95, 99, 99.9, 99.99, 99.9999, 100, 150]

    static func histograms() -> [LatencyHistogram] {
        var rng = SplitMix64(seed: 42)
        var out = [LatencyHistogram.latency()]  // empty
        for shape in 0..<30 {
            var h = LatencyHistogram.latency()
            for _ in 0..<(1 + Int(rng.next() % 3000)) {
                let v: UInt64 = switch shape % 3 {
                case 0: 1 + rng.next() % 2000                                            // one bucket range
                case 1: UInt64(exp(Double(rng.next() % 10_000) / 10_000 * log(60_000_000)))  // 1 µs to 60 s
                default: 100 + rng.next() % 50                                           // a narrow spike
                }
                _ = h.record(v, count: 1 + rng.next() % 4)
            }
            out.append(h)
        }
        return out
    }

    @Test func percentilesAndMeansMatchTheLibrary() {
        for h in Self.histograms() {
            let library = Self.percentiles.map { h.valueAtPercentile($0) }
            #expect(h.values(atPercentiles: Self.percentiles) == library, "\(h.totalCount) values")
            #expect(h.values(atPercentiles: Self.percentiles.reversed()) == library.reversed())
            for (p, v) in zip(Self.percentiles, library) { #expect(h.values(atPercentiles: [p]) == [v], "p\(p)") }
            #expect(h.meanValue == h.mean)
        }
    }
}
