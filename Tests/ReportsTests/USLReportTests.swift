import Foundation
import Testing
import Harness
@testable import Reports

/// `mailstorm usl` against fits published with the R package usl (Stefan Möding), on Gunther's datasets from
/// "Guerrilla Capacity Planning" as that package ships them; the expected figures are its tests' saved outputs.
@Suite struct USLReportTests {
    /// Within 0.1%, or half a unit of the last digit published when that is coarser.
    static func close(_ got: Double, _ published: Double, digits: Int) -> Bool {
        let lastDigit = pow(10, floor(log10(abs(published))) - Double(digits - 1))
        return abs(got - published) <= max(abs(published) * 0.001, lastDigit / 2)
    }

    @Test func reproducesThePublishedFitOfSPECSDM91() throws {
        // usl tests/summary.Rout.save: alpha 2.773e-02, beta 1.044e-04, gamma 9.000e+01; peak 1884 at load 96.52; limit 3246.
        let csv = "load,throughput\n1,64.9\n18,995.9\n36,1652.4\n72,1853.2\n108,1828.9\n144,1775.0\n216,1702.2\n"
        let r = try USLReport(points: try USLReport.parse(csv: csv, name: "specsdm91.csv"))
        #expect(Self.close(r.fit.sigma, 2.773e-2, digits: 4), "\(r.fit)")
        #expect(Self.close(r.fit.kappa, 1.044e-4, digits: 4), "\(r.fit)")
        #expect(Self.close(r.fit.lambda, 90.00, digits: 4), "\(r.fit)")
        #expect(Self.close(r.fit.peakConcurrency, 96.52, digits: 4) && Self.close(r.fit.throughput(at: r.fit.peakConcurrency), 1884, digits: 4))
        #expect(Self.close(r.fit.lambda / r.fit.sigma, 3246, digits: 4))
        let text = r.render(at: [50, 200])
        #expect(text.contains("σ (sigma)") && text.contains("peak: 18") && text.contains("limit: 324"), "\(text)")
    }

    @Test func reproducesThePublishedFitOfTheRayTracer() throws {
        // usl tests/confint.Rout.save, raytracer[1:6, ]: alpha 0.02444, beta 0.00163, gamma 20.85605.
        let csv = "processors,throughput\n1,20\n4,78\n8,130\n12,170\n16,190\n20,200\n"
        let r = try USLReport(points: try USLReport.parse(csv: csv, name: "raytracer.csv"))
        #expect(Self.close(r.fit.sigma, 0.02444, digits: 4) && Self.close(r.fit.kappa, 0.00163, digits: 3), "\(r.fit)")
        #expect(Self.close(r.fit.lambda, 20.85605, digits: 7), "\(r.fit)")
        // usl tests/coef.Rout.save: points of the model with alpha = beta = 0.02, gamma = 1, to four decimals.
        let exact = try USLReport(points: try USLReport.parse(csv: "1,1\n2,1.8868\n4,3.0769\n6,3.5294\n8,3.5398\n10,3.3557\n", name: "coef.csv"))
        #expect(Self.close(exact.fit.sigma, 0.02, digits: 3) && Self.close(exact.fit.kappa, 0.02, digits: 3) && Self.close(exact.fit.lambda, 1, digits: 3), "\(exact.fit)")
    }

    @Test func badFilesAreNamedWithTheirLine() {
        #expect(throws: UsageError.self) { try USLReport.parse(csv: "n,x\n1,10\ntwo,20\n", name: "f.csv") }
        do { _ = try USLReport.parse(csv: "n,x\n1,10\ntwo,20\n", name: "f.csv") } catch { #expect(error.description.contains("f.csv:3")) }
        do { _ = try USLReport.parse(csv: "1,10\n2,19\n", name: "f.csv") } catch { #expect(error.description.contains("three or more")) }
        do { _ = try USLReport.parse(csv: "0,10\n2,19\n3,25\n", name: "f.csv") } catch { #expect(error.description.contains("at least 1")) }
    }

    @Test func chartAxesEndOnRoundValuesWithHeadroom() {
        let s = NiceScale(from: 0, to: 11.4, headroom: 0.08)
        #expect(s.ticks == [0, 5, 10, 15] && s.label(5) == "5")
        #expect(NiceScale(from: 0, to: 38, headroom: 0.08).ticks == [0, 10, 20, 30, 40, 50])
        #expect(NiceScale(from: 0, to: 0.76, headroom: 0.08).ticks.map { NiceScale(from: 0, to: 0.76, headroom: 0.08).label($0) } == ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"])
        // A line at the data's maximum stays below the top border.
        #expect(NiceScale(from: 0, to: 1000, headroom: 0.08).high > 1000)
        let svg = SVGChart(id: "c", title: "t", xLabel: "seconds", yLabel: "ms", series: [.init(name: "p99", color: "#000", points: [(0, 3.8), (20, 11.4)])]).render()
        #expect(svg.contains(">15</text>") && !svg.contains(">3.8</text>") && svg.contains("viewBox"))
    }
}

/// The remote-write body's two encodings, byte for byte; that Prometheus itself accepts them is ExportTests'.
@Suite struct RemoteWriteTests {
    @Test func protobufAndSnappyFramesAreAsTheSpecsSay() {
        let s = RemoteWrite.Series(name: "m", labels: [("a", "b")], value: 1, timestampMs: 300)
        #expect(s.labels.map(\.0) == ["__name__", "a"])
        let pb = RemoteWrite.protobuf([s])
        // timeseries(1) { label(1) {name "__name__", value "m"}, label(1) {"a", "b"}, sample(2) {double 1.0, varint 300} }
        let label1: [UInt8] = [0x0A, 8] + Array("__name__".utf8) + [0x12, 1] + Array("m".utf8)
        let label2: [UInt8] = [0x0A, 1, 0x61, 0x12, 1, 0x62]
        let sample: [UInt8] = [0x09, 0, 0, 0, 0, 0, 0, 0xF0, 0x3F, 0x10, 0xAC, 0x02]
        let ts: [UInt8] = [0x0A, UInt8(label1.count)] + label1 + [0x0A, UInt8(label2.count)] + label2 + [0x12, UInt8(sample.count)] + sample
        #expect(pb == [0x0A, UInt8(ts.count)] + ts)
        // Snappy: the length as a varint, then literals (tag (n-1)<<2 up to 60 bytes, 60<<2 then n-1 up to 256, 61<<2 then two bytes).
        #expect(RemoteWrite.snappy([1, 2, 3]) == [3, 2 << 2, 1, 2, 3])
        let big = [UInt8](repeating: 7, count: 100)
        #expect(RemoteWrite.snappy(big) == [100, 60 << 2, 99] + big)
        let huge = [UInt8](repeating: 9, count: 70_000)
        let framed = RemoteWrite.snappy(huge)
        #expect(framed.prefix(3) == [0xF0, 0xA2, 0x04] && framed[3] == 61 << 2 && framed[4] == 0xFF && framed[5] == 0xFF)
        #expect(framed.count == 3 + 3 + 65_536 + 3 + (70_000 - 65_536))
    }
}
