import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import NIOCore
import Synchronization
import Testing
@testable import Harness
@testable import Environment

@Suite struct MonitoringTests {
    /// A campaignd restarted mid-run (a planned fault) starts its counters at zero again: the run's totals count
    /// what it counted since, as Prometheus's increase() does, and nothing backwards; a server missing from some
    /// samples leaves a gap, not a hole.
    @Test func serviceTotalsSurviveARestartedServer() {
        func sample(_ t: Double, commits: Double?, hits: Double?, lookups: Double) -> ServiceSampler.Sample {
            ServiceSampler.Sample(time: Date(timeIntervalSince1970: t), pg: commits.map { [$0, 0, 0, 0, 1] }, redis: nil,
                                  app: hits.map { ["campaignd_cache_hits_total{level=\"l1\"}": $0,
                                                   "campaignd_cache_misses_total{level=\"l1\"}": lookups - $0,
                                                   "campaignd_http_requests_total{route=\"x\"}": lookups] })
        }
        var t = ServiceTotals()
        for s in [sample(0, commits: 100, hits: 80, lookups: 100), sample(1, commits: 150, hits: 160, lookups: 200),
                  sample(2, commits: nil, hits: nil, lookups: 0),            // both down at this sample
                  sample(3, commits: 170, hits: 30, lookups: 40)] {        // PostgreSQL back; campaignd restarted
            t.add(s)
        }
        #expect(t.commits == 70 && t.pgSeconds == 3)
        #expect(t.appHits == 80 + 30 && t.appLookups == 100 + 40 && t.appRestarted)
    }


    /// A server restarted by a planned fault is a new process: the monitor follows it there, and its CPU
    /// series keeps adding up instead of falling back to the new process's zero.
    /// Its 5 s of sleeps and waits run on a thread of their own, not on one of the 2 pool threads the unit tests share.
    @Test func resourcesFollowARestartedServerToItsNewProcess() async throws {
        let series = try #require(try await Stack.blocking { try Self.seriesAcrossARestart() })
        #expect(series.count >= 4)
        #expect(zip(series, series.dropFirst()).allSatisfy { $1.cpuSeconds >= $0.cpuSeconds && $1.cpuPercent >= 0 }, "\(series.map(\.cpuSeconds))")
    }

    static func seriesAcrossARestart() throws -> [ResourceRow]? {
        func spin() throws -> Process {
            let p = Process()
            // Ends by itself within a minute: a test run killed before it kills this leaves no spinner behind (one
            // orphaned unbounded loop took a core for 17 minutes and ignored SIGTERM, whose mask it inherits).
            p.executableURL = URL(fileURLWithPath: "/bin/bash")
            p.arguments = ["-c", "while (( SECONDS < 60 )); do :; done"]
            try p.run()
            return p
        }
        let first = try spin()
        let current = Mutex<Int32>(first.processIdentifier)
        let monitor = ResourceMonitor(following: { ["server": current.withLock { $0 }] })
        monitor.start()
        Thread.sleep(forTimeInterval: 2.5)
        let second = try spin()
        current.withLock { $0 = second.processIdentifier }
        kill(first.processIdentifier, SIGKILL)  // SIGTERM may be blocked in a test process, and the child inherits that
        Thread.sleep(forTimeInterval: 2.5)
        kill(second.processIdentifier, SIGKILL)
        first.waitUntilExit(); second.waitUntilExit()
        return monitor.stop()["server"]?.series
    }

    @Test func perfScriptFoldsIntoStacks() {
        let script = """
            campaignd 12 100.1:    1001 cpu-clock:ppp:
            \t    7f01 swift_retain+0x12 (/usr/lib/libswiftCore.so)
            \t    5501 $s9Harness4mainyyF+0x40 (/x/campaignd)
            \t    5001 main+0x9 (/x/campaignd)

            campaignd 12 100.2:    1001 cpu-clock:ppp:
            \t    5501 $s9Harness4mainyyF+0x44 (/x/campaignd)
            \t    5001 main+0x9 (/x/campaignd)

            """
        let f = ServerProfiler.fold(script)
        #expect(f == ["main;$s9Harness4mainyyF;swift_retain": 1, "main;$s9Harness4mainyyF": 1])
        let top = ServerProfiler.top(f)
        #expect(top.first { $0.name == "swift_retain" }?.selfPercent == 50)
        #expect(top.first { $0.name == "$s9Harness4mainyyF" }?.totalPercent == 100)
        let svg = FlameGraph.svg(f, title: "t <&>")
        #expect(svg.hasPrefix("<svg") && svg.contains("swift_retain") && !svg.contains("{Y") && svg.contains("t &lt;&amp;&gt;"))
        #expect((try? XMLDocument(xmlString: svg)) != nil)
    }

    /// Swift names demangled by the toolchain; kernel and scheduler samples kept apart from user-space work;
    /// an `[unknown]` tower folded to one frame, a function without a symbol named by its library, and no stack
    /// deeper than 48.
    @Test func profilesAreDemangledSortedByWhereAndOfSensibleHeight() {
        let tower = (0..<120).map { _ in "\t    0 [unknown] ([unknown])" }.joined(separator: "\n")
        let script = """
            campaignd 12 100.1:    1001 cpu-clock:ppp:
            \t    5501 $s15SystemUnderTest11InjectedCPUO4burnys6UInt64Vs8DurationVFZ+0x40 (/x/campaignd)
            \t    5001 main+0x9 (/x/campaignd)

            campaignd 12 100.2:    1001 cpu-clock:ppp:
            \t    ffff1 finish_task_switch.isra.0+0x1 ([kernel.kallsyms])
            \t    ffff2 __schedule+0x1 ([kernel.kallsyms])
            \t    7f01 epoll_wait+0x12 (/usr/lib/libc.so.6)

            campaignd 12 100.3:    1001 cpu-clock:ppp:
            \t    ffff3 tcp_sendmsg+0x1 ([kernel.kallsyms])
            \t    7f02 write+0x12 (/usr/lib/libc.so.6)

            campaignd 12 100.4:    1001 cpu-clock:ppp:
            \t    7f03 swift_retain+0x12 (/usr/lib/libswiftCore.so)
            \(tower)
            \t    5001 main+0x9 (/x/campaignd)

            campaignd 12 100.5:    1001 cpu-clock:ppp:
            \t    29ad8a [unknown] (/usr/lib/x86_64-linux-gnu/libcrypto.so.3)
            \t    29ad00 [unknown] (/usr/lib/x86_64-linux-gnu/libcrypto.so.3)
            \t    1f6265 HMAC_Final+0x15 (/usr/lib/x86_64-linux-gnu/libcrypto.so.3)
            \t    5001 main+0x9 (/x/campaignd)

            """
        let p = ServerProfiler.profile(script)
        #expect(p.samples == 5 && p.kernel == 1 && p.scheduler == 1 && p.user.values.reduce(0, +) == 3)
        #expect(p.user.keys.contains("main;static InjectedCPU.burn(_:)"), "\(p.user.keys)")
        #expect(p.user.keys.contains("main;[unknown];swift_retain"), "a tower of 120 unknown frames is one frame: \(p.user.keys)")
        #expect(p.user.keys.contains("main;HMAC_Final;[libcrypto.so.3]"), "an unnamed function is named by its library, once: \(p.user.keys)")
        let deep = ServerProfiler.readable((0..<100).map { "f\($0)" })
        #expect(deep.count == 48 && deep.first == "[deeper frames]" && deep.last == "f99")
    }

    @Test func thresholdsParseK6Syntax() throws {
        let t = try ThresholdSpec(metric: "http_req_duration", expression: "p(99.9) <= 250", source: "f:3")
        #expect(t.stat == "p" && t.percentile == 99.9 && t.op == "<=" && t.value == 250 && t.holds(250) && !t.holds(251))
        #expect(try ThresholdSpec(metric: "http_req_failed", expression: "rate<0.01", source: "").holds(0.005))
        #expect(try ThresholdSpec(metric: "http_reqs", expression: "rate>100", source: "").holds(101))
        #expect(throws: UsageError.self) { try ThresholdSpec(metric: "http_req_failed", expression: "p(95)<1", source: "") }
        #expect(throws: UsageError.self) { try ThresholdSpec(metric: "vus", expression: "max<10", source: "") }
        #expect(throws: UsageError.self) { try ThresholdSpec(metric: "http_req_duration", expression: "p(95)", source: "") }
        #expect(throws: UsageError.self) { try ThresholdSpec(metric: "http_req_duration", expression: "p(101)<5", source: "") }
    }

    @Test func prometheusTextSums() {
        let m = PrometheusText.parse("""
            # TYPE campaignd_cache_hits_total counter
            campaignd_cache_hits_total{level="l1"} 90
            campaignd_cache_hits_total{level="redis"} 5
            campaignd_cache_misses_total{level="l1"} 10
            campaignd_db_pool_busy 2.0
            """)
        #expect(PrometheusText.sum(m, "campaignd_cache_hits_total") == 95)
        #expect(PrometheusText.sum(m, "campaignd_cache_hits_total", having: #"level="l1""#) == 90)
        #expect(PrometheusText.sum(m, "campaignd_cache_hits") == 0)  // a prefix of a name is another name
        #expect(PrometheusText.sum(m, "campaignd_db_pool_busy") == 2)
        let (hits, lookups) = ServiceSampler.appCache([:], m)
        #expect(hits == 95 && lookups == 100)
        // 100 statements between two scrapes: 60 under 1 ms, 36 more under 5 ms, 4 under 25 ms.
        let before = PrometheusText.parse("""
            q_bucket{le="0.001"} 10
            q_bucket{le="0.005"} 10
            q_bucket{le="0.025"} 10
            q_bucket{le="+Inf"} 10
            """)
        let after = PrometheusText.parse("""
            q_bucket{le="0.001"} 70
            q_bucket{le="0.005"} 106
            q_bucket{le="0.025"} 110
            q_bucket{le="+Inf"} 110
            """)
        #expect(ServiceSampler.histogramPercentiles(before, after, "q", [50, 95, 99]) == ["p50": 1, "p95": 5, "p99": 25])
    }

    @Test func theProfilerRecordsEveryCPUAndKeepsCampaigndsSamplesWhereAllowed() {
        // perf record -p spins a core once a thread it attached to exits; -a with a pid filter does not.
        #expect(ServerProfiler.recordArguments(pid: 42, output: "p.data", systemWide: true) == ["record", "-F", "997", "-g", "-a", "-o", "p.data"])
        #expect(ServerProfiler.scriptArguments(pid: 42, input: "p.data", systemWide: true) == ["script", "-i", "p.data", "--pid", "42"])
        #expect(ServerProfiler.recordArguments(pid: 42, output: "p.data", systemWide: false).contains("-p"))
        #expect(ServerProfiler.scriptArguments(pid: 42, input: "p.data", systemWide: false) == ["script", "-i", "p.data"])
    }

    @Test func serverTimingIsReadFromTheHead() {
        var p = HTTPResponseParser()
        p.captureServerTiming = true
        var b = ByteBuffer(string: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nServer-Timing: db;dur=1.250, cache;dur=0.004, wait;dur=3, render;dur=12\r\n\r\nok")
        guard case .response(let status, _, _) = p.parse(&b) else { Issue.record("no response"); return }
        #expect(status == 200)
        #expect(p.serverTiming! == ServerStages(db: 1_250_000, cache: 4_000, wait: 3_000_000, render: 12_000_000))
        var plain = HTTPResponseParser()
        var c = ByteBuffer(string: "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nServer-Timing: db;dur=1\r\n\r\n")
        _ = plain.parse(&c)
        #expect(plain.serverTiming == nil, "off unless asked for")
    }
}
