import Foundation
import Testing
import Harness
import Reports
import Scenarios

extension WholeMachine {
/// The scenarios that drive the stack past what the machine can do, in their smoke profiles: a search for the
/// knee, a fit of the USL over closed-model levels, and a surge. What they find is the whole machine's, and a
/// test beside them would both move it and be starved by it.
@Suite struct SaturatingScenarioTests {
    @Test func stressFindsAKneeAndBreaksAboveIt() async throws {
        let (o, s) = try await Integration.smoke(StressScenario())
        let st = try #require(o.results.first(StressOutcome.self))
        let knee = try #require(st.knee), breaking = try #require(st.breaking)
        #expect(knee >= 25 && breaking > knee)
        #expect(st.steps.first?.pass == true && st.steps.contains { !$0.pass })
        #expect(MarkdownReport.render(s).contains("## Stress search"))
        #expect(HTMLReport.render(s).contains(String(format: "class=\"marker\"><title>%.0f/s</title>", st.steps.last!.rate)), "each step marked where it began")
    }

    @Test func spikeSurgesAndIsAnalysed() async throws {
        let (o, s) = try await Integration.smoke(SpikeScenario())
        let sp = try #require(o.results.first(SpikeOutcome.self))
        #expect(sp.levelP99Ms > 0 && sp.spikeP99Ms > 0 && sp.recoveryLimitMs >= sp.levelP99Ms + 5)
        let before = o.result.intervals.filter { $0.t >= 2 && $0.t < 15 }
        let during = o.result.intervals.filter { $0.t >= 15 && $0.t < 20 }
        // The surge is the harness's to offer, whatever the stack can finish: on a slow machine here the stack
        // finished at most 289 req/s of the 1,000 offered, and the rest waited in flight or was dropped. So the
        // offer counts requests finished, plus 4 per iteration dropped or added to those in flight.
        let finished = during.reduce(0.0) { $0 + Double($1.requests) }
        let backlog = 4 * Double(during.reduce(0) { $0 + Int($1.dropped) } + during.last!.inFlight - before.last!.inFlight)
        #expect(finished + backlog > 3 * Double(during.count) * before.map(\.rps).max()!,
                "before \(before.map(\.rps)), during \(during.map(\.rps)), dropped \(during.map(\.dropped)), in flight \(during.map(\.inFlight))")
        #expect(MarkdownReport.render(s).contains("## Spike"))
        #expect(try s.results?["spike"]?.decode(SpikeOutcome.self) == sp)
    }

    @Test func capacityFitsTheUSL() async throws {
        let (o, s) = try await Integration.smoke(CapacityScenario())
        let c = try #require(o.results.first(CapacityOutcome.self))
        #expect(c.levels.map(\.vus) == [1, 2, 4, 8, 16, 32, 64])
        #expect(c.usl != nil && c.kneeRps != nil && c.instancesNeeded != nil)
        #expect(MarkdownReport.render(s).contains("## Capacity"))
        let html = HTMLReport.render(s)
        #expect(html.contains("id=\"chart-capacity\"") && html.contains("USL fit") && html.contains("knee "))
    }
}
}
