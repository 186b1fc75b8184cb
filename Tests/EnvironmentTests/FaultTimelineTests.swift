import Foundation
import Synchronization
import Testing
@testable import Harness
@testable import Environment

@Suite struct FaultTimelineTests {
    @Test func theIssuesExamplesParseAndPrintBack() throws {
        for text in ["postgres:restart@20s+3s", "postgres:kill@20s", "redis:kill@10s+5s", "campaignd:kill@15s", "campaignd:term@15s",
                     "sink:outage@10s+5s", "sink:latency=200ms@10s+10s", "postgres-net:latency=50ms@5s+20s", "redis-net:drop@3s+2s",
                     "postgres-net:reset@7s", "redis-net:loss=5%@2s+4s", "postgres-net:loss=0.5%@1s+1s"] {
            let f = try FaultSpec(parsing: text)
            #expect(f.description == text)
            #expect(try FaultSpec(parsing: f.description) == f)
        }
        let r = try FaultSpec(parsing: "postgres:restart@1m+1500ms")
        #expect(r.component == .postgres && r.action == .restart && r.start == 60 && r.duration == 1.5 && r.end == 61.5)
        #expect(try FaultSpec(parsing: "sink:latency=0.2s@0+1s").action == .latency(ms: 200))
    }

    @Test(arguments: [
        ("postgres@20s", "expected component:action@start"),
        ("mysql:kill@1s", "unknown component 'mysql'"),
        ("postgres:explode@1s", "postgres cannot 'explode' (kill, restart)"),
        ("sink:kill@1s", "sink cannot 'kill'"),
        ("postgres:restart@soon", "start 'soon'"),
        ("postgres:restart@1s+-2s", "duration '-2s'"),
        ("sink:outage@1s", "outage needs a duration"),
        ("redis-net:latency@1s+2s", "latency needs a value"),
        ("redis:kill=3@1s", "kill takes no value"),
        ("postgres-net:reset@1s+2s", "reset is instantaneous"),
        ("postgres-net:loss=5@1s+2s", "loss needs a share of packets"),
        ("postgres-net:loss=100%@1s+2s", "below 100%"),
        ("redis-net:loss=1%@1s", "loss needs a duration"),
    ])
    func badFaultsAreRefusedNamingThemselves(text: String, why: String) {
        do {
            _ = try FaultSpec(parsing: text)
            Issue.record("'\(text)' was accepted")
        } catch {
            let message = "\(error)"
            #expect(message.hasPrefix("fault '\(text)'") && message.contains(why), "\(message)")
        }
    }

    @Test func aTimelineEndsEveryFaultBeforeTheRunAndKeepsComponentsApart() throws {
        let t = try FaultTimeline(["redis:kill@10s+5s", "postgres:kill@4s", "postgres:restart@20s+3s"], runSeconds: 30)
        #expect(t.steps.map { "\($0.phase == .begin ? "+" : "-")\($0.fault.component.rawValue)@\(FaultSpec.format($0.at))" }
                == ["+postgres@4", "-postgres@4", "+redis@10", "-redis@15", "+postgres@20", "-postgres@23"])
        #expect(throws: FaultSpecError.self) { try FaultTimeline(["postgres:restart@25s+5s"], runSeconds: 30) }
        do {
            _ = try FaultTimeline(["postgres:restart@5s+5s", "postgres:kill@8s"], runSeconds: 30)
            Issue.record("overlap accepted")
        } catch {
            #expect("\(error)".contains("overlap on postgres"))
        }
        // Different components may overlap: the database's network and the database itself are two things.
        #expect(throws: Never.self) { try FaultTimeline(["postgres:restart@5s+5s", "postgres-net:latency=5ms@6s+2s"], runSeconds: 30) }
    }

    final class Recorder: FaultTarget {
        let calls = Mutex<[String]>([])
        func begin(_ fault: FaultSpec) async throws { calls.withLock { $0.append("begin \(fault)") } }
        func end(_ fault: FaultSpec) async throws {
            calls.withLock { $0.append("end \(fault)") }
            if fault.component == .redis { throw FaultSpecError("redis would not start") }
        }
    }

    @Test func theRunnerCarriesStepsOutInOrderAndMeasuresWindows() async throws {
        let target = Recorder()
        let timeline = try FaultTimeline(["redis:kill@0.02s", "postgres:restart@0s+0.05s"], runSeconds: 1)
        let runner = FaultTimelineRunner(timeline: timeline, target: target)
        await runner.run(origin: .now)
        #expect(target.calls.withLock { $0 } == ["begin postgres:restart@0s+0.05s", "begin redis:kill@0.02s", "end redis:kill@0.02s",
                                                  "end postgres:restart@0s+0.05s"])
        let windows = await runner.windows
        #expect(windows.map(\.fault) == ["redis:kill@0.02s", "postgres:restart@0s+0.05s"])
        #expect(windows.allSatisfy { $0.ended >= $0.began })
        #expect(windows[0].error?.contains("redis would not start") == true && windows[1].error == nil)
    }

    @Test func aCancelledRunnerStillEndsWhatItBegan() async throws {
        let target = Recorder()
        let runner = FaultTimelineRunner(timeline: try FaultTimeline(["postgres:restart@0s+50s"], runSeconds: 60), target: target)
        let task = Task { await runner.run(origin: .now) }
        #expect(await eventually { target.calls.withLock { $0.count } == 1 })
        task.cancel()
        await task.value
        #expect(target.calls.withLock { $0 } == ["begin postgres:restart@0s+50s", "end postgres:restart@0s+50s"])
    }

    func eventually(_ condition: () -> Bool) async -> Bool {
        for _ in 0..<200 where !condition() { try? await Task.sleep(for: .milliseconds(10)) }
        return condition()
    }
}
