import Foundation
import Testing
import Harness
@testable import Reports

@Suite struct SegmentMergeTests {
    /// A segment's run folder as `mailstorm run --segment i/n` leaves it: run.json, summary.json, latency.hlog.
    static func segment(_ i: Int, of n: Int, latenciesMs: [Double], seconds: Int = 3, start: Double = 1_800_000_000, root: String,
                        interrupted: Bool = false) throws -> String {
        var r = SummaryTests.result(latenciesMs: latenciesMs, interrupted: interrupted)
        r.byStatusClass[2] = r.overall.latency
        var snapshots: [IntervalSnapshot] = []
        for k in 0..<seconds {
            var h = LatencyHistogram.latency()
            for (j, ms) in latenciesMs.enumerated() where j % seconds == k { h.recordNanos(UInt64(ms * 1e6)) }
            snapshots.append(IntervalSnapshot(index: k, startNanos: UInt64(k) * 1_000_000_000, lengthNanos: 1_000_000_000, latency: h,
                                              requests: h.totalCount, ok: h.totalCount, errors: 0, dropped: 0, inFlight: 1, connections: 1,
                                              plannedNanos: 0, endpoints: []))
        }
        r.intervals = snapshots.map(\.row)
        r.durationSeconds = Double(seconds)
        var s = SummaryBuilder.build(scenario: "basic", profile: "smoke", load: "test", target: "http://x", embedded: false,
                                     result: r, kpis: KPICatalog.api, services: SummaryTests.services, gitSha: "abc")
        s.segment = "\(i)/\(n)"
        let folder = try RunFolder(root: root, scenario: "basic-seg\(i)")
        try folder.writeStart(RunInfo(scenario: "basic", profile: "smoke", load: "test", target: "http://x", kpiSet: "api", startedAt: "now",
                                      gitSha: "abc", segment: s.segment, kpis: KPICatalog.api))
        try folder.write(s)
        try HdrLogSink.write(snapshots, startTime: start, to: folder.file("latency.hlog"))
        return folder.path
    }

    static func values(_ seed: UInt64, _ count: Int) -> [Double] {
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { _ in Double.random(in: 0.2...80, using: &rng) }
    }

    /// Counts are equal bucket by bucket, and every percentile is that of one histogram fed every value.
    @Test func theMergeEqualsOneHistogramFedEveryValue() throws {
        let root = NSTemporaryDirectory() + "merge-\(UInt64.random(in: 0...UInt64.max))"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let parts = (0..<4).map { Self.values(UInt64($0) + 1, 500 + 37 * $0) }
        let folders = try parts.enumerated().map { try Self.segment($0.offset, of: 4, latenciesMs: $0.element, root: root) }
        let merged = try SegmentMerge.merge(try folders.reversed().map(SegmentMerge.read))
        var union = LatencyHistogram.latency()
        for ms in parts.flatMap({ $0 }) { union.recordNanos(UInt64(ms * 1e6)) }
        let h = try HistogramCodec.decode(base64: merged.summary.histograms["latency"]!)
        #expect(h.totalCount == union.totalCount && h.totalCount == UInt64(parts.map(\.count).reduce(0, +)))
        #expect(HistogramCodec.base64(h) == HistogramCodec.base64(union), "bucket by bucket")
        // As stored (an encoding keeps buckets, not the exact max): every percentile equal, p100 included.
        let stored = try HistogramCodec.decode(base64: HistogramCodec.base64(union))
        for q in stride(from: 0.0, through: 100.0, by: 0.5) { #expect(h.millis(at: q) == stored.millis(at: q), "p\(q)") }
        #expect(h.millis(at: 99) == union.millis(at: 99) && h.millis(at: 99.9) == union.millis(at: 99.9))
        #expect(merged.summary.latencyMs.p99 == Summary.Percentiles(union).p99)
        #expect(merged.summary.requests.total == union.totalCount && merged.summary.perEndpoint["GET /x"]?.requests == union.totalCount)
        #expect(merged.summary.segments?.count == 4 && merged.summary.segment == nil)
        // Each second's latency is its segments' interval histograms added.
        var second0 = LatencyHistogram.latency()
        for p in parts { for (j, ms) in p.enumerated() where j % 3 == 0 { second0.recordNanos(UInt64(ms * 1e6)) } }
        #expect(merged.intervals.count == 3 && merged.intervals[0].latency.totalCount == second0.totalCount)
        #expect(merged.summary.timeseries[0].p99Ms == second0.millis(at: 99))
        #expect(merged.summary.kpis.map(\.name) == KPICatalog.api.map(\.name))
    }

    @Test func aMissingDoubledForeignOrKilledSegmentIsAnErrorNeverASmallerRun() throws {
        let root = NSTemporaryDirectory() + "merge-bad-\(UInt64.random(in: 0...UInt64.max))"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let a = try Self.segment(0, of: 3, latenciesMs: Self.values(1, 50), root: root)
        let b = try Self.segment(1, of: 3, latenciesMs: Self.values(2, 50), root: root)
        func error(_ folders: [String]) -> String? {
            do { _ = try SegmentMerge.merge(try folders.map(SegmentMerge.read)); return nil } catch { return "\(error)" }
        }
        #expect(error([a, b])?.contains("2/3 missing") == true)
        #expect(error([a, b, b])?.contains("given twice") == true)
        let killed = try Self.segment(2, of: 3, latenciesMs: Self.values(3, 50), root: root, interrupted: true)
        #expect(error([a, b, killed])?.contains("interrupted") == true)
        let other = try Self.segment(2, of: 4, latenciesMs: Self.values(3, 50), root: root)
        #expect(error([a, b, other])?.contains("of 3 segments") == true)
        try FileManager.default.removeItem(atPath: other + "/summary.json")
        #expect(error([a, b, other])?.contains("did not finish") == true)
    }
}
