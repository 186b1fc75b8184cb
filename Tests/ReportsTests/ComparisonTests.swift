import Foundation
import Testing
import Harness
@testable import Reports

@Suite struct ComparisonTests {
    /// A summary whose per-interval p50/p95/p99 samples come from `level` ms with deterministic noise.
    static func summary(level: Double, intervals: Int = 30, seed: UInt64 = 1, fingerprint machine: Machine = .current) -> Summary {
        var rng = SplitMix64(seed: seed)
        var h = LatencyHistogram.latency()
        var rows: [IntervalRow] = []
        for i in 0..<intervals {
            let noise = { (scale: Double) in level * scale * (1 + Double.random(in: -0.03...0.03, using: &rng)) }
            let (p50, p95, p99) = (noise(1), noise(1.5), noise(2))
            for _ in 0..<100 { h.recordNanos(UInt64(noise(1) * 1e6)) }
            rows.append(IntervalRow(t: Double(i), requests: 100, ok: 100, errors: 0, dropped: 0, rps: 100, p50Ms: p50, p90Ms: p95,
                                    p95Ms: p95, p99Ms: p99, maxMs: p99, inFlight: 0, connections: 1, perEndpoint: [:]))
        }
        var s = SummaryTests().build(SummaryTests.result(latenciesMs: []))
        s.machine = machine
        s.timeseries = rows
        s.requests = .init(total: UInt64(intervals * 100), ok: UInt64(intervals * 100), errors: 0, dropped: 0)
        s.throughputRps = 100
        s.latencyMs = .init(h)
        s.latencyMs.p95 = level * 1.5
        s.latencyMs.p99 = level * 2
        s.perEndpoint = [:]
        s.histograms = ["latency": HistogramCodec.base64(h)]
        return s
    }

    @Test func identicalDistributionsAreUnchanged() {
        let c = Comparison.compare(current: Self.summary(level: 10, seed: 2), baseline: Baseline(from: Self.summary(level: 10, seed: 1)))
        #expect(c.rows.allSatisfy { $0.verdict == .unchanged }, "\(c.render())")
        #expect(ExitStatus.code(kpisPassed: true, comparison: c) == 0)
        #expect(c.warning == nil)
    }

    @Test func aTenPercentShiftWithEnoughSamplesRegresses() {
        let stored = Comparison.compare(current: Self.summary(level: 11, seed: 2), baseline: Baseline(from: Self.summary(level: 10, seed: 1)))
        let byMetric = Dictionary(uniqueKeysWithValues: stored.rows.filter { $0.scope == "overall" }.map { ($0.metric, $0.verdict) })
        #expect(byMetric["p50"] == .regressed)
        #expect(byMetric["throughput"] == .unchanged)
        #expect(ExitStatus.code(kpisPassed: true, comparison: stored) == 1)
        // Interleaved A/B limits are tighter: the p99 shift of 10% counts too.
        let ab = Comparison.compare(current: Self.summary(level: 11, seed: 2), baseline: Baseline(from: Self.summary(level: 10, seed: 1)), thresholds: .interleaved)
        #expect(ab.rows.first { $0.scope == "overall" && $0.metric == "p99" }?.verdict == .regressed)
    }

    @Test func sameDriftThatPassesAStoredBaselineIsTooSmallToCount() {
        // +15% at a 1 ms p50 is 0.15 ms: below the stored-baseline floor, which sits above run-to-run drift here.
        let c = Comparison.compare(current: Self.summary(level: 1.15, seed: 2), baseline: Baseline(from: Self.summary(level: 1, seed: 1)))
        #expect(c.rows.first { $0.scope == "overall" && $0.metric == "p50" }?.verdict == .unchanged)
    }

    @Test func fasterIsAnImprovementAndExitsFour() {
        let c = Comparison.compare(current: Self.summary(level: 8, seed: 2), baseline: Baseline(from: Self.summary(level: 10, seed: 1)))
        #expect(!c.improvements.isEmpty && c.regressions.isEmpty)
        #expect(ExitStatus.code(kpisPassed: true, comparison: c) == 4)
        #expect(ExitStatus.code(kpisPassed: false, comparison: c) == 1)
    }

    @Test func tooFewSamplesOrTinyChangesStayUnchanged() {
        // Three intervals a side cannot reach p < 0.01; a 2% shift is under every threshold.
        let few = Comparison.compare(current: Self.summary(level: 20, intervals: 3, seed: 2), baseline: Baseline(from: Self.summary(level: 10, intervals: 3)))
        #expect(few.regressions.isEmpty)
        let tiny = Comparison.compare(current: Self.summary(level: 10.2, seed: 2), baseline: Baseline(from: Self.summary(level: 10, seed: 1)))
        #expect(tiny.regressions.isEmpty)
    }

    @Test func aBaselineFromAnotherMachineWarnsLoudly() {
        var other = Machine.current
        other.cores = 96
        let c = Comparison.compare(current: Self.summary(level: 10), baseline: Baseline(from: Self.summary(level: 10, fingerprint: other)))
        #expect(c.warning?.contains("DIFFERENT MACHINE") == true)
        #expect(c.render().hasPrefix("WARNING"))
    }

    @Test func thresholdsOverrideAndRejectUnknownMetrics() throws {
        let t = try Thresholds.default.overriding(["p99=0.2"])
        #expect(t.limits["p99"]?.relative == 0.2)
        #expect(throws: ReportError.self) { try Thresholds.default.overriding(["p42=0.1"]) }
    }

    @Test func baselinesAreCompactAndRoundTrip() throws {
        let b = Baseline(from: Self.summary(level: 10, intervals: 600))
        let data = try b.encoded()
        #expect(data.count < 128 * 1024)
        let path = NSTemporaryDirectory() + "baseline-\(getpid()).json"
        try data.write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let back = try Baseline.load(path)
        #expect(back.metrics == b.metrics && back.samples == b.samples)
    }

    @Test func badBaselineFilesAreNamed() throws {
        let path = NSTemporaryDirectory() + "bad-baseline-\(getpid()).json"
        try Data(#"{"schema_version": 1}"#.utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect { try Baseline.load(path) } throws: { ($0 as? ReportError)?.description.contains(path) == true }
        #expect { try Baseline.load("/nonexistent.json") } throws: { ($0 as? ReportError)?.description.contains("/nonexistent.json") == true }
    }
}

@Suite struct StatisticsTests {
    @Test func mannWhitneyKnownValues() {
        let r = MannWhitney.test([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [11, 12, 13, 14, 15, 16, 17, 18, 19, 20])
        #expect(r.u == 0)
        #expect(r.p < 0.001)  // scipy.stats.mannwhitneyu gives 0.00018 (normal approximation with continuity)
        #expect(abs(r.p - 0.00018) < 0.00003)
        #expect(MannWhitney.test([1, 2, 3], [1, 2, 3]).p > 0.9)
        #expect(MannWhitney.test([], [1]).p == 1)
        #expect(MannWhitney.test([5, 5, 5], [5, 5, 5]).p == 1)
    }

    @Test func eDivisiveFindsKnownShifts() {
        var rng = SplitMix64(seed: 3)
        func noisy(_ level: Double, _ n: Int) -> [Double] { (0..<n).map { _ in level + Double.random(in: -0.5...0.5, using: &rng) } }
        #expect(EDivisive.changePoints(noisy(10, 20) + noisy(15, 20)) == [20])
        #expect(EDivisive.changePoints(noisy(10, 15) + noisy(14, 15) + noisy(9, 15)) == [15, 30])
        #expect(EDivisive.changePoints(noisy(10, 40)).isEmpty)
        #expect(EDivisive.changePoints([1, 2]).isEmpty)
    }
}
