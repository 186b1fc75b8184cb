import Testing
import Harness
@testable import Scenarios

@Suite struct ScenarioTests {
    @Test func overridesParseAndReject() throws {
        let o = try Overrides(["rate=50", "duration=2m"])
        #expect(try o.number("rate", 1) == 50)
        #expect(try o.duration("duration", 1) == 120)
        #expect(throws: UsageError.self) { try Overrides(["novalue"]) }
        #expect(throws: UsageError.self) { try Overrides(["rate=-3"]).number("rate", 1) }
        #expect(throws: UsageError.self) { try Overrides(["duration=soon"]).duration("duration", 1) }
        #expect(DurationText.seconds("1500ms") == 1.5)
        #expect(DurationText.seconds("-1s") == nil)
    }

    @Test func unknownSettingsAndScenariosAreNamed() {
        #expect {
            _ = try BasicScenario().plan(profile: .smoke, overrides: Overrides(["rat=5"]))
        } throws: { ($0 as? UsageError)?.description.contains("rat") == true }
        #expect {
            _ = try ScenarioCatalog.named("nope")
        } throws: { ($0 as? UsageError)?.description.contains("'nope'") == true }
    }

    @Test func basicIsTheSeed000JourneyAtAConstantRate() throws {
        let plan = try BasicScenario().plan(profile: .smoke, overrides: Overrides(["rate=40", "duration=10s"]))
        #expect(plan.journeys.count == 1)
        #expect(plan.journeys[0].steps.map(\.name) == ["POST /api/login", "GET /api/campaigns", "GET /api/stats", "POST /api/campaigns"])
        guard case .open(let pacer, let cap) = plan.workload else { Issue.record("not open model"); return }
        #expect(pacer.rate(atNanos: 0) == 40)
        #expect(pacer.durationNanos == 10_000_000_000)
        #expect(cap >= 400)
        #expect(plan.kpiSet == "api")
    }

    @Test func smokeProfilesStayWithinAMinute() throws {
        for s in ScenarioCatalog.all {
            let plan = try s.plan(profile: .smoke, overrides: Overrides([]))
            #expect(plan.workload.durationNanos <= 60_000_000_000, "\(s.name)")
        }
    }
}

@Suite struct ComprehensiveTests {
    @Test func runsEveryOtherScenarioAndTakesNoOverrides() throws {
        let c = ComprehensiveScenario()
        #expect(c.members.map(\.name) == ["basic", "stress", "spike", "endurance", "capacity", "send", "import"])
        #expect(throws: UsageError.self) { try c.plan(profile: .smoke, overrides: Overrides(["rate=5"])) }
        #expect(ScenarioCatalog.all.map(\.name).contains("comprehensive"))
    }
}
