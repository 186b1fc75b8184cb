import Foundation
import Testing
import Harness
import Reports
import Scenarios

extension RealStack {
/// Every scenario end to end on the real stack, shrunk by overrides so the suite stays short; each must produce
/// its own section.
@Suite struct ScenarioSuiteTests {
    func run(_ scenario: any Scenario, _ settings: [String]) async throws -> ScenarioOutcome {
        var options = RunOptions()
        options.overrides = try Overrides(settings)
        options.stack = Integration.stackOptions()
        return try await ScenarioRunner().run(scenario, options: options)
    }

    @Test func stressFindsAKneeAndBreaksAboveIt() async throws {
        // Big steps: campaignd breaks well below 3,600 iterations/s, then bisection narrows the bracket.
        let o = try await run(StressScenario(), ["start=25", "growth=12", "max=4000", "step=2s"])
        let s = try #require(o.stress)
        let knee = try #require(s.knee), breaking = try #require(s.breaking)
        #expect(knee >= 25 && breaking > knee)
        #expect(s.steps.count >= 2)
        #expect(s.steps.first?.pass == true && s.steps.contains { !$0.pass })
    }

    @Test func spikeSurgesAndIsAnalysed() async throws {
        // Recovery itself is unit-tested on known series (SpikeAnalysisTests); a debug build's p99 is too noisy
        // to promise one here. This checks that the surge happened and the section is filled in.
        let o = try await run(SpikeScenario(), ["rate=20", "factor=3", "before=4s", "spike=2s", "after=4s"])
        let s = try #require(o.spike)
        #expect(s.levelP99Ms > 0 && s.spikeP99Ms > 0 && s.recoveryLimitMs >= s.levelP99Ms + 5)
        let before = o.result.intervals.filter { $0.t >= 1 && $0.t < 4 }.map(\.rps)
        let during = o.result.intervals.filter { $0.t >= 4 && $0.t < 6 }.map(\.rps)
        #expect(during.min()! > 2 * before.max()!, "before \(before), during \(during)")
        #expect(o.result.overall.requests > 0 && o.resources["campaignd"] != nil && o.resources["postgres"] != nil)
    }

    @Test func capacityFitsTheUSL() async throws {
        let o = try await run(CapacityScenario(), ["max_vus=4", "level=2s"])
        let c = try #require(o.capacity)
        #expect(c.levels.map(\.vus) == [1, 2, 4])
        #expect(c.usl != nil && c.kneeRps != nil && c.instancesNeeded != nil)
    }

    @Test func enduranceReportsTrends() async throws {
        let o = try await run(EnduranceScenario(), ["rate=20", "duration=9s"])
        let e = try #require(o.endurance)
        #expect(e.p99Trend != nil && e.databaseBytes?.count == 2)
        #expect(e.memoryTrends["campaignd"] != nil)
    }
}
}
