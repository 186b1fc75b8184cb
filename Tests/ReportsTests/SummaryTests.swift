import Foundation
import Testing
import Harness
import Environment
@testable import Reports

@Suite struct SummaryTests {
    static func result(latenciesMs: [Double], errors: UInt64 = 0, interrupted: Bool = false) -> RunResult {
        var all = EndpointStats(name: "all")
        var ep = EndpointStats(name: "GET /x")
        for ms in latenciesMs {
            let ns = UInt64(ms * 1e6)
            all.latency.recordNanos(ns); all.service.recordNanos(ns); all.statusClasses[2] += 1; all.ok += 1
            ep.latency.recordNanos(ns); ep.service.recordNanos(ns); ep.statusClasses[2] += 1; ep.ok += 1
        }
        if errors > 0 { all.errors[.timeout] = errors; ep.errors[.timeout] = errors }
        return RunResult(startedAt: Date(timeIntervalSince1970: 0), durationSeconds: 10, overall: all, endpoints: [ep],
                         byStatusClass: (0..<6).map { _ in .latency() }, droppedIterations: 3, iterationsCompleted: 0,
                         iterationsStarted: 0, intervals: [], peakConnections: 1, peakInFlight: 1, interrupted: interrupted)
    }

    /// The services as a run on campaignd would have sampled them (the api set judges its cache hit ratio).
    static var services: ServiceSummary {
        var s = ServiceSummary(rows: [])
        s.appCacheHitRatio = 0.95
        s.appCacheLookups = 1000
        s.appDbQueryMs = ["p50": 1, "p95": 5, "p99": 10]
        return s
    }

    func build(_ r: RunResult, services: ServiceSummary? = SummaryTests.services) -> Summary {
        SummaryBuilder.build(scenario: "basic", profile: "smoke", load: "test", target: "http://x", embedded: true,
                             result: r, kpis: KPICatalog.api, services: services, gitSha: "abc")
    }

    @Test func passesWhenEveryKPIHolds() {
        let s = build(Self.result(latenciesMs: Array(repeating: 5, count: 1000)))
        #expect(s.verdict.outcome == .pass)
        #expect(s.kpis.count == 8 && s.kpis.allSatisfy(\.pass))
        #expect(s.requests == .init(total: 1000, ok: 1000, errors: 0, dropped: 3))
        #expect(abs(s.throughputRps - 100) < 1e-9)
    }

    @Test func failsOnTheTail() {
        // 2% of requests at 200 ms: p99 breaks the 100 ms KPI while p50 and p95 hold.
        let s = build(Self.result(latenciesMs: Array(repeating: 5, count: 980) + Array(repeating: 200, count: 20)))
        #expect(s.verdict.outcome == .fail)
        #expect(s.kpis.filter { !$0.pass }.map(\.name) == ["API p99 latency"])
    }

    @Test func failsOnErrorsAndOnInterruptionAndOnNothingMeasured() {
        #expect(build(Self.result(latenciesMs: Array(repeating: 5, count: 100), errors: 5)).verdict.outcome == .fail)
        #expect(build(Self.result(latenciesMs: Array(repeating: 5, count: 100), interrupted: true)).verdict.outcome == .fail)
        #expect(build(Self.result(latenciesMs: [])).verdict.outcome == .fail)
        // A KPI the run could not measure fails rather than passing unjudged, and the summary still encodes.
        let unmeasured = build(Self.result(latenciesMs: Array(repeating: 5, count: 100)), services: nil)
        #expect(unmeasured.verdict.outcome == .fail && unmeasured.kpis.last?.value.isNaN == true)
        #expect((try? Summary.decode(try unmeasured.encoded()))?.kpis.last?.value.isNaN == true)
    }

    @Test func jsonHasTheDocumentedFieldsAndRoundTrips() throws {
        let s = build(Self.result(latenciesMs: [1, 2, 3]))
        let data = try s.encoded()
        let obj = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        for key in ["schema_version", "scenario", "profile", "started_at", "duration_s", "machine", "git_sha", "requests",
                    "throughput_rps", "latency_ms", "service_time_ms", "per_endpoint", "kpis", "verdict", "timeseries"] {
            #expect(obj[key] != nil, "missing \(key)")
        }
        let lat = try #require(obj["latency_ms"] as? [String: Any])
        #expect(Set(lat.keys) == ["p50", "p90", "p95", "p99", "p999", "max", "mean"])
        let back = try Summary.decode(data)
        #expect(back.latencyMs == s.latencyMs && back.kpis == s.kpis)
    }

    @Test func everyKPICitesASeed() {
        for set in KPICatalog.sets.values {
            for k in set { #expect(k.source.range(of: #"^\d{3}_[0-9a-f]{16}\.txt: "#, options: .regularExpression) != nil, "\(k.name)") }
        }
    }

    @Test func reportsRender() {
        let s = build(Self.result(latenciesMs: [1, 2, 3]))
        let md = MarkdownReport.render(s)
        #expect(md.contains("**Verdict: PASS**") && md.contains("| GET /x |"))
        let table = VerdictTable.render(s)
        #expect(table.contains("verdict: PASS") && table.contains("API p99 latency"))
    }
}

@Suite struct SummaryRoundTripTests {
    /// Every optional section survives summary.json's snake_case encoding (acronyms in names would not).
    @Test func everySectionRoundTrips() throws {
        var s = SummaryTests().build(SummaryTests.result(latenciesMs: [1, 2, 3]))
        let row = ResourceRow(t: 0, cpuSeconds: 1, cpuPercent: 2, memoryMb: 3, threads: 4, fds: 5)
        s.resources = ["campaignd": ProcessResources(rows: [row, row, row])!]
        let back = try Summary.decode(s.encoded())
        #expect(back.resources == s.resources)
    }
}
