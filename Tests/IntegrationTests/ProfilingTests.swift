import Foundation
import Testing
import Harness
import Reports

extension WholeMachine {
/// `--profile-server` against a known hot spot: campaignd burning 8 ms of CPU on every GET /api/stats.
@Suite struct ProfilingTests {
    @Test func aKnownHotSpotIsOnTopOfTheProfileAndWideInTheGraph() throws {
        let root = NSTemporaryDirectory() + "profile-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let r = try Integration.mailstorm(["run", "basic", "--profile-server", "--set", "rate=25", "--set", "duration=6s", "--no-baseline",
                                           "--campaignd-arg=--inject-cpu=GET /api/stats=8", "--out", root, "--quiet"])
        #expect([0, 1].contains(r.status), "\(r.output)")
        let folder = try RunFolder(existing: root + "/" + (try FileManager.default.contentsOfDirectory(atPath: root).first ?? ""))
        let profile = try #require(try folder.readSummary().serverProfile, "no profile")
        let top = try #require(profile.top.first)
        #expect(top.name.hasSuffix("static InjectedCPU.burn(_:)"), "\(profile.top.prefix(5).map(\.name))")
        #expect(top.selfPercent > 30, "\(top.selfPercent)% of user-space samples")
        #expect(profile.samples > 400, "\(profile.samples) samples")
        #expect((profile.userPercent ?? 0) + (profile.kernelPercent ?? 0) + (profile.schedulerPercent ?? 0) > 99.9)
        // Wide in the graph: its box spans that share of the 1200 px, and the graph stays of sensible height.
        let svg = try String(contentsOfFile: folder.file(profile.svgFile), encoding: .utf8)
        let box = try #require(svg.range(of: "static InjectedCPU.burn(_:) ("), "the burn is not in the graph")
        let rect = svg[box.upperBound...].prefix(400)
        let width = rect.range(of: "width=\"").flatMap { Double(rect[$0.upperBound...].prefix { $0 != "\"" }) } ?? 0
        #expect(width > 1200 * 0.3, "box \(width) px wide")
        let height = svg.range(of: "height=\"").flatMap { Double(svg[$0.upperBound...].prefix { $0 != "\"" }) } ?? 0
        #expect(height <= 50 * 16 + 40, "graph \(height) px tall")
    }
}
}
