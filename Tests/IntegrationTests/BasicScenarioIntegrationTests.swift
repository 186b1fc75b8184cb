import Foundation
import Testing
import Harness
import Environment
import Reports
import Scenarios

extension SharedMachine {
@Suite struct BasicScenarioIntegrationTests {
    /// The harness's counts must agree with what campaignd and PostgreSQL saw.
    @Test func countsAgreeWithTheServer() async throws {
        let stack = try Stack.up(Integration.stackOptions())
        defer { stack.down() }
        var options = RunOptions()
        options.overrides = try Overrides(["rate=20", "duration=3s"])
        let outcome = try await ScenarioRunner().run(BasicScenario(), options: options, stack: stack)
        let r = outcome.result
        #expect(r.iterationsStarted == 60)
        #expect(r.overall.requests == 240)
        #expect(r.overall.errorCount == 0, "errors: \(r.overall.errors)")

        let metrics = try await Integration.get(stack.endpoints.target + "/metrics")
        #expect(Integration.apiRequestsServed(metrics: metrics) == r.overall.requests)
        let created = r.endpoints.first { $0.name == "POST /api/campaigns" }!.ok
        #expect(created == 60)
        let history = SeedRequest().tenants * SeedRequest().campaignsPerTenant  // the seeded drafts, before the run
        #expect(try Integration.sql(stack.endpoints.databaseURL!, "SELECT count(*) FROM campaigns") == String(Int(created) + history))

        let summary = SummaryBuilder.build(scenario: outcome.scenario, profile: "smoke", load: outcome.describe, target: outcome.target,
                                           embedded: true, result: r, kpis: KPICatalog.api)
        #expect(summary.requests.total == 240)
        #expect(summary.perEndpoint.count == 4)
    }

    @Test func stackDownLeavesNothingBehind() throws {
        let stack = try Stack.up(Integration.stackOptions())
        let pids = stack.pids
        #expect(pids.keys.sorted() == ["campaignd", "postgres", "redis"])
        #expect(FileManager.default.fileExists(atPath: stack.directory))
        stack.down()
        for (name, pid) in pids { #expect(kill(pid, 0) != 0, "\(name) still alive") }
        #expect(!FileManager.default.fileExists(atPath: stack.directory))
        stack.down()  // idempotent
    }

    @Test func twoStacksAtOnceDoNotCollide() throws {
        let a = try Stack.up(Integration.stackOptions())
        defer { a.down() }
        let b = try Stack.up(Integration.stackOptions())
        defer { b.down() }
        #expect(a.endpoints.target != b.endpoints.target)
        #expect(a.endpoints.databaseURL != b.endpoints.databaseURL)
    }
}
}
