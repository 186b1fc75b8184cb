import Foundation
import Testing
import Harness
import Environment
@testable import Scenarios

@Suite struct ScenarioTests {
    @Test func overridesParseAndReject() throws {
        let o = try Overrides(["rate=50", "duration=2m"])
        #expect(try o.number("rate", 1, in: Overrides.rates) == 50)
        #expect(try o.duration("duration", 1) == 120)
        #expect(throws: UsageError.self) { try Overrides(["novalue"]) }
        #expect(throws: UsageError.self) { try Overrides(["rate=-3"]).number("rate", 1, in: Overrides.rates) }
        #expect(throws: UsageError.self) { try Overrides(["duration=soon"]).duration("duration", 1) }
        #expect(try Overrides(["rows=1e5"]).count("rows", 1, in: 1...1_000_000) == 100_000)
        #expect(throws: UsageError.self) { try Overrides(["rows=2.5"]).count("rows", 1, in: 1...10) }
        #expect(DurationText.seconds("1500ms") == 1.5)
        #expect(DurationText.seconds("-1s") == nil)
        #expect(DurationText.seconds("720h") == DurationText.longest)
        #expect(DurationText.seconds("721h") == nil)
        #expect(DurationText.seconds("inf") == nil)
        #expect(DurationText.seconds("nan") == nil)
    }

    /// Every setting of every scenario, given a value no run could use, is an error that names it before anything
    /// starts. Values like these were crashes: 1e12 s overflowed the pacer's nanoseconds, 1e308 a count, a start
    /// above the max left a knee search with no step, a spike phase under its 10 ms edges a negative stage.
    @Test func everySettingRejectsValuesNoRunCouldUse() throws {
        let bad = ["1e12", "1e308", "99999999999999999999", "1e-9", "0.000001", "inf", "nan", "0", "-1", "abc"]
        let settings: [String: [String]] = [
            "basic": ["rate", "duration", "timeout"], "api": ["rate", "duration", "timeout", "start", "max", "step", "growth"],
            "stress": ["start", "max", "step", "growth"], "spike": ["rate", "factor", "before", "spike", "after"],
            "endurance": ["rate", "duration"], "capacity": ["level", "target", "max_vus"], "send": ["recipients", "timeout"],
            "import": ["rows", "batch", "concurrency"], "chaos": ["rate", "duration", "timeout", "send_rate", "recipients"],
        ]
        var checked = 0
        for (name, keys) in settings {
            let scenario = try ScenarioCatalog.named(name)
            for key in keys {
                for value in bad {
                    #expect(throws: UsageError.self, "\(name) \(key)=\(value)") {
                        _ = try scenario.plan(profile: .smoke, overrides: Overrides(["\(key)=\(value)"]))
                    }
                    checked += 1
                }
            }
        }
        #expect(checked > 250)
        // A search whose start is above its max, and one that fits.
        #expect { _ = try StressScenario().plan(profile: .smoke, overrides: Overrides(["start=100", "max=10"])) }
            throws: { ($0 as? UsageError)?.description.contains("start=100") == true }
        #expect { _ = try ApiScenario().plan(profile: .smoke, overrides: Overrides(["start=100", "max=10"])) }
            throws: { ($0 as? UsageError)?.description.contains("start=100") == true }
        _ = try StressScenario().plan(profile: .smoke, overrides: Overrides(["start=10", "max=100", "step=2s", "growth=2"]))
        _ = try ImportScenario().plan(profile: .smoke, overrides: Overrides(["rows=1e5", "batch=5000", "concurrency=16"]))
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

    /// The api mix: weights per 100 requests, each citing its seed; one login per session of 20-50.
    @Test func apiMixCitesItsSeedsAndKeepsSessions() throws {
        #expect(ApiScenario.mix.reduce(0) { $0 + $1.weight } == 100)
        #expect(ApiScenario.mix.allSatisfy { $0.source.range(of: #"^00[0-4]: "#, options: .regularExpression) != nil })
        let p = try ApiScenario().plan(profile: .smoke, overrides: .none)
        #expect(p.session?.iterations == 20...50 && p.session?.setup.first?.name == "POST /api/login")
        #expect(p.kpiSet == "api" && p.journeys.allSatisfy { $0.steps.count == 1 })
        let knee = try ApiScenario().plan(profile: .smoke, overrides: try Overrides(["max=8000", "step=5s"]))
        #expect(knee.kpiSet == "none" && knee.describe.hasPrefix("the knee"))
        #expect(throws: UsageError.self) { try ApiScenario().plan(profile: .smoke, overrides: try Overrides(["max=8000", "rate=10"])) }
    }

    @Test func smokeProfilesStayWithinAMinute() throws {
        for s in ScenarioCatalog.all {
            let plan = try s.plan(profile: .smoke, overrides: Overrides([]))
            #expect(plan.workload.durationNanos <= 60_000_000_000, "\(s.name)")
        }
    }
}

@Suite struct FaultPlanningTests {
    func timeline(_ s: any Scenario, _ faults: [String], configure: (inout RunOptions) -> Void = { _ in }) throws -> FaultTimeline? {
        var o = RunOptions()
        o.faults = try faults.map { try FaultSpec(parsing: $0) }
        configure(&o)
        return try ScenarioRunner.faultTimeline(s, plan: try s.plan(profile: .smoke, overrides: Overrides([])), options: o)
    }

    @Test func chaosCarriesItsStandardSetAndOtherScenariosNone() throws {
        let chaos = try #require(try timeline(ChaosScenario(), []))
        #expect(chaos.faults.map(\.description) == ["postgres:restart@5s+3s", "campaignd:kill@14s", "redis:kill@19s+5s", "campaignd:term@27s",
                                                 "postgres-net:latency=50ms@32s+6s"])
        let nightly = ChaosScenario().defaultFaults(plan: try ChaosScenario().plan(profile: .nightly, overrides: Overrides([])))
        #expect(throws: Never.self) { try FaultTimeline(nightly, runSeconds: 150) }
        #expect(try timeline(BasicScenario(), []) == nil)
        #expect(try timeline(BasicScenario(), ["redis:kill@5s+2s"])?.faults.count == 1)
        // The send's faults may come while it may run (50 s at smoke).
        #expect(try timeline(SendScenario(), ["campaignd:kill@30s"])?.faults.count == 1)
    }

    /// The chaos send lasts about as long as the load, reaches every seeded contact of the first tenant, and
    /// asks the stack for its pace unless the user gave one.
    @Test func chaosSendsBesideItsLoad() throws {
        let plan = try ChaosScenario().plan(profile: .smoke, overrides: Overrides([]))
        #expect(plan.campaigndArguments == ["--send-rate", "400"] && plan.seed.contacts == 14_400 * plan.seed.tenants && plan.seed.allActive)
        #expect(plan.describe.contains("a campaign to 14400 recipients at 400 emails/s"))
        // The seed keeps the scenario's history and asks campaignd for subscribed contacts.
        #expect(plan.seed.campaigndArguments(databaseURL: "postgresql://db") == [
            "seed", "--database-url", "postgresql://db", "--tenants", "2", "--users-per-tenant", "50", "--contacts", "28800",
            "--campaigns-per-tenant", "20", "--all-active"])
        let set = try ChaosScenario().plan(profile: .smoke, overrides: Overrides(["send_rate=100", "recipients=1000"]))
        #expect(set.campaigndArguments == ["--send-rate", "100"] && set.seed.contacts == 1000 * set.seed.tenants)
        #expect(throws: UsageError.self) { try ChaosScenario().plan(profile: .smoke, overrides: Overrides(["recipients=1.5"])) }
    }

    /// What a fault may send twice: a batch per sender thread, for the faults that can cut a batch's commit short.
    @Test func repeatsAllowedFollowTheSendersThreadsAndTransport() throws {
        var o = RunOptions()
        #expect(CampaignSend.repeatsPerFault(o) == 400, "campaignd's default over SMTP, 8 threads")
        o.stack.transport = .http
        #expect(CampaignSend.repeatsPerFault(o) == 2000, "and over HTTP, 4")
        o.stack.transport = .smtp
        o.stack.campaigndArguments = ["--send-threads=2"]
        #expect(CampaignSend.repeatsPerFault(o) == 100)
        o.stack.campaigndArguments = ["--send-threads", "8"]
        o.stack.transport = .http
        #expect(CampaignSend.repeatsPerFault(o) == 4000)
        let may = try ["campaignd:kill@1s", "campaignd:term@1s", "postgres:restart@1s+1s", "postgres:kill@1s", "redis:kill@1s", "postgres-net:reset@1s"]
            .map { try FaultSpec(parsing: $0).maySendTwice }
        #expect(may == [true, false, true, true, false, true])
    }

    @Test(arguments: [
        ("stress", ["redis:kill@5s"], "stress cannot carry faults"),
        ("basic", ["redis:kill@15s+10s"], "not before the run does"),
        ("basic", ["postgres:restart@2s+5s", "postgres:kill@4s"], "overlap on postgres"),
    ])
    func faultsAScenarioCannotCarryAreRefusedBeforeTheRun(name: String, faults: [String], why: String) throws {
        do {
            _ = try timeline(try ScenarioCatalog.named(name), faults)
            Issue.record("accepted")
        } catch {
            #expect("\(error)".contains(why), "\(error)")
        }
    }

    @Test func faultsNeedServersTheStackOwns() throws {
        #expect(throws: UsageError.self) { try timeline(BasicScenario(), ["redis:kill@5s"]) { $0.target = "http://127.0.0.1:1" } }
        #expect(throws: UsageError.self) { try timeline(BasicScenario(), ["postgres-net:drop@5s+1s"]) { $0.stack.databaseURL = "postgresql://x@127.0.0.1:1/db" } }
        #expect(throws: Never.self) { try timeline(BasicScenario(), ["postgres:kill@5s"]) { $0.stack.redisURL = "redis://127.0.0.1:1" } }
    }
}

@Suite struct ComprehensiveTests {
    @Test func runsEveryOtherScenarioAndTakesNoOverrides() throws {
        let c = ComprehensiveScenario()
        #expect(c.members.map(\.name) == ["basic", "api", "stress", "spike", "endurance", "capacity", "send", "import"])
        #expect(throws: UsageError.self) { try c.plan(profile: .smoke, overrides: Overrides(["rate=5"])) }
        #expect(ScenarioCatalog.all.map(\.name).contains("comprehensive"))
    }
}

@Suite final class FileScenarioTests {
    /// Each test's scenario files, in a folder of its own that goes when the test does.
    let folder = NSTemporaryDirectory() + "mailstorm-file-scenarios-\(UUID().uuidString)/"
    init() throws { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
    deinit { try? FileManager.default.removeItem(atPath: folder) }

    func write(_ text: String) -> String {
        let path = folder + "scenario-\(UUID().uuidString).yaml"
        try! text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func readsAFullFile() throws {
        let f = try FileScenario(path: write("""
            name: t
            workload: {model: closed, vus: 3, duration: 5s}
            think: {min: 100ms, max: 200ms}
            variables: [{user: a}, {user: b}]
            journeys:
              - weight: 2
                steps:
                  - {method: post, path: /x, body: '{"u": "{{user}}"}', extract: {id: id}, expect: 201}
                  - {path: "/y/{{id}}"}
            thresholds:
              http_req_duration: ["p(95)<50"]
              http_req_failed: "rate<0.01"
            """))
        #expect(f.name == "t" && f.thresholds.count == 2)
        let p = try f.plan(profile: .smoke, overrides: try Overrides([]))
        #expect(p.journeys[0].weight == 2 && p.journeys[0].steps[0].method == "POST" && p.journeys[0].steps[0].expectStatus == 201...201)
        #expect(p.journeys[0].steps[0].headers.contains { $0.0 == "Content-Type" })
        guard case .closed(let vus, let stages) = p.workload else { Issue.record("not closed"); return }
        #expect(vus == 3 && stages == [VUStage(target: 3, durationSeconds: 5)])
        #expect(p.think == .uniform(min: 0.1, max: 0.2) && p.seed.contacts == 0)
    }

    @Test func errorsNameFileLineAndField() {
        func error(_ text: String) -> String {
            do { _ = try FileScenario(path: write(text)); return "" } catch { return "\(error)" }
        }
        #expect(error("workload: {rate: 1, duration: 2s}\njourneys:\n  - steps:\n      - {path: x}\n").contains(":4: journeys[0].steps[0].path must start with '/'"))
        #expect(error("workload:\n  model: open\n  rate: -3\n  duration: 1s\njourneys: [{steps: [{path: /}]}]\n").contains(":3: workload.rate must be a positive number"))
        #expect(error("workload: {model: mixed, rate: 1, duration: 1s}\njourneys: [{steps: [{path: /}]}]\n").contains("workload.model must be open or closed"))
        #expect(error("journeys: [{steps: [{path: /}]}]\n").contains("missing field 'workload'"))
        #expect(error("workload: {rate: 1, duration: soon}\njourneys: [{steps: [{path: /}]}]\n").contains("workload.duration must be a duration"))
        #expect(error("workload: {rate: 1, duration: 1s}\njourneys: [{steps: [{path: /}]}]\nthresholds: {http_req_duration: [\"p95<5\"]}\n").contains("supports"))
    }

    /// `session:` keeps one login for many iterations (the setup's steps run once per session).
    @Test func aSessionIsReadAndCheckedLikeTheRest() throws {
        let text = """
            workload: {rate: 5, duration: 2s}
            session:
              setup: [{method: POST, path: /api/login, body: '{"email":"{{email}}","password":"{{password}}"}', extract: {token: token}}]
              iterations: 20-50
            journeys: [{steps: [{path: /api/stats, headers: {Authorization: "Bearer {{token}}"}}]}]

            """
        let f = try FileScenario(path: write(text))
        let p = try f.plan(profile: .smoke, overrides: .none)
        #expect(p.session?.iterations == 20...50)
        #expect(p.session?.setup.map(\.name) == ["POST /api/login"])
        #expect(p.seed.contacts > 0, "the setup's {{email}} asks for the seeded users")
        func error(_ text: String) -> String {
            do { _ = try FileScenario(path: write(text)); return "" } catch { return "\(error)" }
        }
        let head = "workload: {rate: 5, duration: 2s}\njourneys: [{steps: [{path: /}]}]\n"
        #expect(error(head + "session: {setup: [{path: /login}], iterations: 50-20}\n").contains(":3: session.iterations must be a count or a range"))
        #expect(error(head + "session: {setup: [{path: /login}], iterations: many}\n").contains("session.iterations"))
        #expect(error(head + "session: {iterations: 5}\n").contains("needs a non-empty 'setup' list"))
        #expect(error(head + "session: {setup: [{path: login}], iterations: 5}\n").contains("session.setup[0].path must start with '/'"))
    }

    /// A scenario file comes from another branch: its name becomes a folder, its numbers counts, its headers
    /// bytes on the wire. Each hostile value is a clear error naming file and line, never a path outside
    /// results/, a crash or an injected header.
    @Test func hostileFilesAreRefusedClearly() {
        func error(_ text: String) -> String {
            do { _ = try FileScenario(path: write(text)); return "" } catch { return "\(error)" }
        }
        let ok = "\njourneys: [{steps: [{path: /}]}]\n"
        #expect(error("name: ../../etc\nworkload: {rate: 1, duration: 1s}" + ok).contains(":1: name must be 1 to 64 letters"))
        #expect(error("name: a/b\nworkload: {rate: 1, duration: 1s}" + ok).contains("name must be"))
        #expect(error("workload: {model: closed, vus: 1e30, duration: 1s}" + ok).contains("workload.vus must be a whole number from 1 to 100000"))
        #expect(error("workload: {model: closed, vus: 2.5, duration: 1s}" + ok).contains("workload.vus must be a whole number"))
        #expect(error("workload: {rate: 1, duration: 1s, max_in_flight: 1e300}" + ok).contains("workload.max_in_flight must be a whole number"))
        #expect(error("workload: {model: closed, stages: [{target: 1e30, duration: 1s}]}" + ok).contains("must be at most 10000000"))
        #expect(error("workload: {rate: 1, duration: 1s}\njourneys: [{steps: [{path: /, expect: 1e30}]}]\n").contains("expect must be a whole number from 100 to 599"))
        #expect(error("workload: {rate: 1, duration: 1s}\njourneys: [{steps: [{path: /, headers: {X-A: \"v\\r\\nX-Evil: 1\"}}]}]\n").contains("without CR, LF"))
        #expect(error("workload: {rate: 1, duration: 1s}\njourneys: [{steps: [{path: /, headers: {\"X-A: b\": v}}]}]\n").contains("without CR, LF"))
        #expect(error("workload: {rate: 1e308, duration: 1s}" + ok).contains("workload.rate must be at most 10000000"))
        #expect(error("workload: {rate: 1, duration: 1e12s}" + ok).contains("workload.duration must be a duration"))
        // The same ranges as --set: a run of a nanosecond, or a timeout no sweep or server could honour, is refused.
        #expect(error("workload: {rate: 1, duration: 1e-9s}" + ok).contains("workload.duration must be from 1s to"))
        #expect(error("workload: {model: closed, vus: 1, duration: 500ms}" + ok).contains("workload.duration must be from 1s to"))
        #expect(error("workload: {rate: 1, duration: 1s}\ntimeout: 0.0001s" + ok).contains("timeout must be from 1ms to"))
        #expect(error("workload: {rate: 1, duration: 1s}\nthink: {min: 5s, max: 1s}" + ok).contains("think.max must not be below think.min"))
        #expect(error("workload: {rate: 1, duration: 1s}\nthresholds: {http_req_failed: [\"rate<nan\"]}" + ok).contains("'nan' is not a finite number"))
    }

    /// `run --duration --rate --vus` map onto a scenario's settings and a file's workload, as k6's flags do.
    @Test func durationRateAndVUsFlagsMapOntoEveryScenario() throws {
        func flags(_ pairs: [(String, String, String)], set: [String] = []) throws -> Overrides {
            var o = try Overrides(set)
            for (flag, key, value) in pairs { try o.add(flag: flag, key: key, value: value) }
            return o
        }
        func error(_ body: () throws -> Void) -> String { do { try body(); return "" } catch { return "\(error)" } }
        let basic = try BasicScenario().plan(profile: .smoke, overrides: flags([("--duration", "duration", "5s"), ("--rate", "rate", "40")]))
        #expect(basic.describe.hasPrefix("40 iterations/s") && basic.describe.contains("for 5 s"), "\(basic.describe)")
        #expect(error { _ = try flags([("--duration", "duration", "5s")], set: ["duration=9s"]) }.contains("--duration and --set duration= both"))
        #expect(error { _ = try CapacityScenario().plan(profile: .smoke, overrides: flags([("--duration", "duration", "5s")])) }
            .contains("--duration: scenario 'capacity' has no setting 'duration' (it has: level, target, max_vus)"))
        #expect(error { _ = try BasicScenario().plan(profile: .smoke, overrides: flags([("--rate", "rate", "fast")])) }.contains("--rate fast: expected a number from"))
        let open = write("workload: {rate: 10, duration: 20s}\njourneys: [{steps: [{path: /}]}]\n")
        let file = try FileScenario(path: open)
        let plan = try file.plan(profile: .smoke, overrides: flags([("--rate", "rate", "50"), ("--duration", "duration", "3s")]))
        #expect(plan.describe == "50.0 iterations/s for 3.0 s, open model", "\(plan.describe)")
        #expect(try file.plan(profile: .smoke, overrides: .none).describe == "10.0 iterations/s for 20.0 s, open model")
        #expect(error { _ = try file.plan(profile: .smoke, overrides: flags([("--vus", "vus", "5")])) }.contains("--vus: scenario"))
        let closed = try FileScenario(path: write("workload: {model: closed, vus: 2, duration: 20s}\njourneys: [{steps: [{path: /}]}]\n"))
        #expect(try closed.plan(profile: .smoke, overrides: flags([("--vus", "vus", "8")])).describe == "8 VUs for 20.0 s, closed model")
        let staged = try FileScenario(path: write("workload: {stages: [{target: 5, duration: 2s}]}\njourneys: [{steps: [{path: /}]}]\n"))
        #expect(error { _ = try staged.plan(profile: .smoke, overrides: flags([("--duration", "duration", "5s")])) }.contains("the workload has stages"))
    }

    @Test func aFileWithoutANameIsNamedAfterItsFileOnly() throws {
        let f = try FileScenario(path: write("workload: {rate: 1, duration: 1s}\njourneys: [{steps: [{path: /}]}]\n"))
        #expect(!f.name.contains("/") && f.name.hasPrefix("scenario-"), "\(f.name)")
    }
}
