import Foundation
import Testing
@testable import Harness

@Suite struct HistogramCodecTests {
    static func known() -> LatencyHistogram {
        var h = LatencyHistogram.latency()
        for v: UInt64 in [1, 2, 3, 1000, 1001, 2047, 2048, 50000, 123456, 60_000_000] { _ = h.record(v) }
        _ = h.record(7, count: 5)
        return h
    }

    /// The same values encoded by the PyPI `hdrhistogram` package (HdrHistogram(1, 60000000, 3)), decompressed:
    /// a known encoding that no one here wrote.
    static let pythonEncoding = "1c849313000000180000000000000003000000000000000100000000039387003ff0000000000000" +
        "01020202050abf0f0202a9100202b14802db1502b98e0102"
    static let pythonBase64 = "HISTFAAAADZ4nJNpmSzMwMAgwQABzFCaEcyZ3M5g/wEqwMTExMq1n5+JaaUAE9NGD6bbokw7+xiZANCSCIs="

    @Test func encodesExactlyLikeTheReferenceLibrary() {
        let hex = HistogramCodec.encode(Self.known()).map { String(format: "%02x", $0) }.joined()
        #expect(hex == Self.pythonEncoding)
    }

    @Test func decodesTheReferenceLibrarysOutput() throws {
        let h = try HistogramCodec.decode(base64: Self.pythonBase64)
        #expect(h.totalCount == 15)
        #expect(h.countForValue(7) == 5)
        #expect(h.valuesAreEquivalent(h.max, Self.known().max))
        // Encodings hold bucket counts, so values come back equivalent (same bucket), not necessarily identical.
        for p in [10.0, 50, 90, 99, 100] { #expect(h.valuesAreEquivalent(h.valueAtPercentile(p), Self.known().valueAtPercentile(p))) }
    }

    @Test func roundTripsRandomHistograms() throws {
        var rng = SplitMix64(seed: 42)
        for _ in 0..<20 {
            var h = LatencyHistogram.latency()
            for _ in 0..<Int.random(in: 0...5000, using: &rng) { _ = h.record(UInt64.random(in: 1...60_000_000, using: &rng)) }
            let back = try HistogramCodec.decode(base64: HistogramCodec.base64(h))
            #expect(back.totalCount == h.totalCount)
            #expect(h.valuesAreEquivalent(back.max, h.max))
            for p in [1.0, 50, 99, 99.99] { #expect(h.valuesAreEquivalent(back.valueAtPercentile(p), h.valueAtPercentile(p))) }
        }
    }

    @Test func zigZagCoversEveryWordLength() throws {
        for v: Int64 in [0, 1, -1, 63, -64, 64, 1 << 20, -(1 << 40), Int64.max, Int64.min + 1] {
            var out: [UInt8] = []
            HistogramCodec.putZigZag(v, into: &out)
            var pos = 0
            #expect(try HistogramCodec.getZigZag(out, &pos, out.count) == v)
            #expect(out.count <= 9)
        }
    }

    @Test func rejectsMalformedInput() {
        #expect(throws: CodecError.self) { try HistogramCodec.decode(base64: "not base64!") }
        #expect(throws: CodecError.self) { try HistogramCodec.decode([0, 1, 2, 3, 4, 5, 6, 7, 8]) }
    }

    /// Crafted encodings (a baseline, a log from elsewhere) are errors, never traps: a zero run of -Int64.min,
    /// a run far past the counts array, and a lowest value whose double overflows.
    @Test func craftedEncodingsAreErrorsNotCrashes() throws {
        var good = HistogramCodec.encode(LatencyHistogram.latency())
        #expect(throws: Never.self) { try HistogramCodec.decode(good) }
        let header = good
        func payload(_ words: [Int64]) -> [UInt8] {
            var p: [UInt8] = []
            for w in words { HistogramCodec.putZigZag(w, into: &p) }
            var out = Array(header[0..<4])
            HistogramCodec.put32(UInt32(p.count), &out)
            return out + header[8..<40] + p
        }
        for words in [[Int64.min], [-Int64(1) << 40, 1], [Int64(-(1 << 24)), -5, 1]] {
            #expect(throws: CodecError.self) { try HistogramCodec.decode(payload(words)) }
        }
        // lowest = 2^63 + 1: doubling it wrapped before; now a bad header.
        good.replaceSubrange(16..<24, with: [0x80, 0, 0, 0, 0, 0, 0, 1])
        #expect(throws: CodecError.self) { try HistogramCodec.decode(good) }
    }
}
