import Foundation
import Testing
import Harness
import Environment
import Reports
import Scenarios

extension SharedMachine {
/// Every scenario that stays within the machine (SaturatingScenarioTests has the others) in its real smoke profile
/// (≤60 s each, as CI runs it; endurance 30 s of its 50) on the real stack; each must produce its own section in the
/// summary and the reports. Verdicts on latency are not asserted: a debug build on a shared CI machine is too noisy
/// to promise them; consistency (nothing lost, counts agree) is.
@Suite struct ScenarioSuiteTests {
    @Test func basic() async throws {
        let (o, s) = try await Integration.smoke(BasicScenario())
        #expect(o.result.iterationsStarted == 500 && o.result.overall.errorCount == 0)
        #expect(s.kpis.map(\.name).contains("cache hit ratio") && s.services?.appCacheHitRatio != nil)
        #expect(MarkdownReport.render(s).contains("## KPIs"))
    }

    /// Sessions log in once for 20-50 requests; pixel hits and webhooks name messages a real send delivered.
    @Test func apiKeepsSessionsAndServesTheWholeMix() async throws {
        let (o, s) = try await Integration.smoke(ApiScenario())
        let r = o.result
        #expect(r.overall.errorCount == 0, "\(r.endpoints.filter { $0.errorCount > 0 }.map(\.name))")
        let names = Set(r.endpoints.map(\.name))
        #expect(names.isSuperset(of: ApiScenario.mix.map(\.step.name) + ApiScenario.setup.map(\.name)))
        let logins = try #require(r.endpoints.first { $0.name == "POST /api/login" }).requests
        let iterations = Int(r.iterationsStarted)
        #expect(logins >= iterations / 50 && logins * 20 <= iterations + 20 * r.peakInFlight, "\(logins) logins for \(iterations) iterations")
        #expect(r.endpoints.first { $0.name == "GET /t/o/{token}" }!.ok > 0)
        #expect(s.kpis.map(\.name).contains("API p99 latency"))
    }

    /// 30 s of the smoke profile's 50, as the leak test below runs it: every trend is fitted by then.
    @Test func enduranceReportsTrends() async throws {
        let (o, s) = try await Integration.smoke(EnduranceScenario(), settings: ["duration=30s"])
        let e = try #require(o.results.first(EnduranceOutcome.self))
        #expect(e.p99Trend != nil && e.throughputTrend != nil && e.databaseBytes?.count == 2)
        #expect(e.memoryTrends["campaignd"] != nil && e.memoryTrends["postgres"] != nil)
        #expect(MarkdownReport.render(s).contains("## Endurance"))
        // The steady-state session deletes its campaign and logs out: every step answered as expected.
        #expect(o.result.overall.errorCount == 0 && o.result.endpoints.map(\.name).contains("DELETE /api/campaigns/{id}"))
    }

    @Test func enduranceNamesALeakInCampaignd() async throws {
        // 64 KiB kept per request at 150 requests/s: about 9 MiB/s that no stored data explains.
        let (o, s) = try await Integration.smoke(EnduranceScenario(), settings: ["duration=30s"], campaigndArguments: ["--inject-leak=65536"])
        #expect(o.results.first(EnduranceOutcome.self)?.memoryTrends["campaignd"]?.significant == true)
        #expect(s.problems.contains { $0.hasPrefix("endurance: campaignd memory grows") && $0.hasSuffix("a leak") }, "\(s.problems)")
        #expect(s.verdict.outcome == .fail)
    }

    @Test func sendDeliversEveryRecipientOnce() async throws {
        let (o, s) = try await Integration.smoke(SendScenario())
        let e = try #require(o.results.first(EmailOutcome.self))
        #expect(e.requested == 5000 && e.recipients == 5000)
        #expect(e.sink.unique == 5000 && e.sink.duplicates == 0 && e.states == ["sent": 5000])
        #expect(e.problems.isEmpty && s.problems.isEmpty && Integration.verdictFollowsItsKPIs(s), "\(e.problems)")
        #expect(MarkdownReport.render(s).contains("## Send"))
    }

    /// The standard faults, carried out on the real servers with a send beside the load. What recovery takes is
    /// the machine's to say; that each fault happened, was answered with 503 and never 500, ended with every
    /// server back, and lost no email, is not.
    @Test func chaosCarriesOutItsFaultsAndCampaigndAnswers503NotErrors() async throws {
        let (o, s) = try await Integration.smoke(ChaosScenario(), settings: ["recipients=6000", "send_rate=200"])
        let f = try #require(o.faults), e = try #require(o.results.first(EmailOutcome.self))
        #expect(f.windows.map { $0.fault.prefix { $0 != ":" } } == ["postgres", "campaignd", "redis", "campaignd", "postgres-net"])
        #expect(f.windows.allSatisfy { $0.error == nil && $0.ended >= $0.began }, "\(f.windows)")
        let restart = f.windows[0], slowNet = f.windows[4]
        #expect(restart.errors > 0, "PostgreSQL was down for 3 s under load: requests needing it failed")
        #expect(s.errorsByClass["http_503"] ?? 0 > 0 && s.errorsByClass["http_5xx"] == nil, "\(s.errorsByClass)")
        #expect(slowNet.p99Ms >= 100, "50 ms each way on every statement: \(slowNet.p99Ms) ms")
        #expect(s.kpis.map(\.name) == ["recovery after a fault", "errors while Redis is down"])
        // The send: every recipient once, repeats laid on the faults that may cause them, none on the SIGTERM.
        #expect(e.recipients == 6000 && e.sink.unique == 6000 && e.states == ["sent": 6000], "\(e.sink) \(e.states)")
        #expect(f.windows.map { $0.repeatsAllowed } == [400, 400, 0, 0, 0] && f.windows[3].emailsRepeated == 0, "\(f.windows)")
        #expect(f.windows.reduce(0) { $0 + ($1.emailsRepeated ?? 0) } <= e.sink.duplicates && e.sink.duplicates <= 800)
        #expect(Integration.verdictFollowsItsKPIs(s) && MarkdownReport.render(s).contains("emails twice"))
        #expect(HTMLReport.render(s).contains("class=\"band\""))
    }

    @Test func aSendRidesOutCampaigndsSigtermAndSigkill() async throws {
        let (o, s) = try await Integration.smoke(SendScenario(), settings: ["recipients=20000"], campaigndArguments: ["--send-rate", "2000"],
                                     faults: ["campaignd:term@2s", "campaignd:kill@5s"])
        let e = try #require(o.results.first(EmailOutcome.self)), f = try #require(o.faults)
        #expect(f.windows.allSatisfy { $0.error == nil } && !f.recoveryJudged, "\(f.windows)")
        #expect(e.recipients == 20000 && e.sink.unique == 20000, "none lost: \(e.sink)")
        // 8 sender threads over SMTP (campaignd's default), a batch of 50 each.
        #expect(e.inFlightAtKills == 400 && e.sink.duplicates <= 400, "repeats only from the kill's in-flight batches: \(e.sink)")
        #expect(e.problems.isEmpty && s.problems.isEmpty, "\(s.problems)")
    }

    /// The mail sink refuses everything over SMTP (421) for 3 s, then is slow for 3 s: campaignd's breaker
    /// holds the mail back and sends it afterwards, none lost and none twice.
    @Test func aSendRidesOutTheSinksOutageAndSlowness() async throws {
        let (o, s) = try await Integration.smoke(SendScenario(), settings: ["recipients=6000"], campaigndArguments: ["--send-rate", "1000"],
                                     faults: ["sink:outage@1s+3s", "sink:latency=200ms@5s+3s"])
        let e = try #require(o.results.first(EmailOutcome.self)), f = try #require(o.faults)
        #expect(f.windows.allSatisfy { $0.error == nil } && f.windows.map(\.repeatsAllowed) == [0, 0], "\(f.windows)")
        #expect(e.sink.rejected > 0, "the outage refused what came meanwhile: \(e.sink)")
        #expect(e.recipients == 6000 && e.sink.unique == 6000 && e.sink.duplicates == 0 && e.states == ["sent": 6000], "\(e.sink) \(e.states)")
        #expect(e.problems.isEmpty && s.problems.isEmpty, "\(s.problems)")
    }

    /// The fault kinds chaos smoke does not carry, on the real servers under the basic journey: a PostgreSQL
    /// crash, a reset of every database connection, a Redis partition and database packet loss. Each is carried
    /// out, ends with its server answering, and fails no request with a 500.
    @Test func everyOtherFaultKindIsCarriedOutOnTheRealServers() async throws {
        let (o, s) = try await Integration.smoke(BasicScenario(), settings: ["duration=24s", "rate=10"],
                                     faults: ["postgres:kill@2s+1s", "postgres-net:reset@7s", "redis-net:drop@11s+2s", "postgres-net:loss=5%@17s+3s"])
        let f = try #require(o.faults)
        #expect(f.windows.map(\.fault) == ["postgres:kill@2s+1s", "postgres-net:reset@7s", "redis-net:drop@11s+2s", "postgres-net:loss=5%@17s+3s"])
        #expect(f.windows.allSatisfy { $0.error == nil && $0.ended >= $0.began }, "\(f.windows)")
        #expect(f.windows[0].errors > 0, "PostgreSQL crashed under load: some requests needed it")
        #expect(s.errorsByClass["http_5xx"] == nil, "503 with Retry-After, never 500: \(s.errorsByClass)")
    }

    @Test func importLoadsEveryRow() async throws {
        let (o, s) = try await Integration.smoke(ImportScenario())
        let i = try #require(o.results.first(ImportOutcome.self))
        #expect(i.rows == 100_000 && i.imported == 100_000 && i.problems.isEmpty)
        #expect(s.problems.isEmpty && Integration.verdictFollowsItsKPIs(s) && MarkdownReport.render(s).contains("## Import"))
    }

    @Test func scenarioFileRunsWithItsThresholds() async throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("examples/browse.yaml").path
        let (o, s) = try await Integration.smoke(try FileScenario(path: path))
        #expect(o.result.overall.requests > 0 && o.thresholds.count == 5)
        let names = s.kpis.map(\.name)
        #expect(names.contains("http_req_duration p(95)<50") && names.contains("dropped_iterations count<1"))
        #expect(s.perEndpoint["login"] != nil && s.perEndpoint["dashboard"] != nil)
    }
}
}
