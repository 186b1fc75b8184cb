import Foundation
import Testing
import Harness
import Environment
import Reports

extension SharedMachine {
@Suite struct CommandLineTests {
    @Test(arguments: [
        (["run", "nope"], "unknown scenario 'nope'"),
        (["run", "basic", "--profile", "huge"], "unknown profile 'huge'"),
        (["run", "basic", "--set", "rate=abc"], "rate=abc"),
        (["run", "basic", "--set", "speed=3"], "speed"),
        (["run", "basic", "--target", "ftp://127.0.0.1"], "ftp://127.0.0.1"),
        (["run", "basic", "--threshold", "p99=abc"], "p99=abc"),
        (["run", "basic", "--threshold", "p42=0.1"], "p42=0.1"),
        (["run", "basic", "--bogus"], "--bogus"),
        (["run"], "name a scenario"),
        (["ab", "--a", "/bin/true", "--b", "/bin/true", "--trials", "1"], "--trials"),
        (["calibrate", "basic", "--trials", "1"], "--trials"),
        (["run", "basic", "--fault", "postgres:explode@1s"], "postgres:explode@1s"),
        (["run", "basic", "--fault", "redis:kill@19s+5s"], "not before the run does"),
        (["run", "stress", "--fault", "redis:kill@1s"], "stress cannot carry faults"),
        (["run", "basic", "--fault", "redis:kill@1s", "--target", "http://127.0.0.1:9"], "--target"),
        (["run", "api", "--target", "http://127.0.0.1:9"], "without --target"),
        (["run", "send", "--target", "http://127.0.0.1:9"], "--sink-url"),
    ])
    func usageErrorsExitTwoAndNameTheCulprit(args: [String], culprit: String) throws {
        let out = try Integration.mailstorm(args + ["--out", NSTemporaryDirectory() + "ms-cli-tests"])
        #expect(out.status == 2, "\(out.output)")
        #expect(out.output.contains(culprit), "\(out.output)")
    }

    /// Passed on unchecked, campaignd read "-1" as a missing value and answered under its own usage line.
    @Test func seedRefusesANegativeCountNamingTheOption() throws {
        let out = try Integration.mailstorm(["seed", "--database-url", "postgresql://x@127.0.0.1:9/y", "--campaigns-per-tenant=-1"])
        #expect(out.status == 2 && out.output.contains("--campaigns-per-tenant must be at least 0, not -1"), "\(out.output)")
    }

    @Test func badBaselineOutputAndRunFoldersExitTwoBeforeAnythingStarts() throws {
        let out = NSTemporaryDirectory() + "ms-cli-early-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: out) }
        let bad = try Integration.mailstorm(["run", "basic", "--baseline", "/nonexistent/b.json", "--out", out])
        #expect(bad.status == 2 && bad.output.contains("/nonexistent/b.json"), "\(bad.output)")
        let wrong = out + "-stress.json"
        try Data(#"{"schema_version": 1}"#.utf8).write(to: URL(fileURLWithPath: wrong))
        defer { try? FileManager.default.removeItem(atPath: wrong) }
        let old = try Integration.mailstorm(["run", "basic", "--baseline", wrong, "--out", out])
        #expect(old.status == 2 && old.output.contains("schema version 1"), "\(old.output)")
        // Trials of another load say nothing about this one.
        let committed = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("baselines/basic-smoke.json").path
        let other = try Integration.mailstorm(["run", "basic", "--baseline", committed, "--set", "rate=7", "--out", out])
        #expect(other.status == 2 && other.output.contains("recorded for") && other.output.contains("7 iterations/s"), "\(other.output)")
        // Nothing was started or written for any of them.
        #expect((try? FileManager.default.contentsOfDirectory(atPath: out))?.isEmpty ?? true)
        let unwritable = try Integration.mailstorm(["run", "basic", "--out", "/proc/mailstorm-results"])
        #expect(unwritable.status == 2 && unwritable.output.contains("/proc/mailstorm-results"), "\(unwritable.output)")
        let report = try Integration.mailstorm(["report", "/nonexistent/run"])
        #expect(report.status == 2 && report.output.contains("/nonexistent/run"), "\(report.output)")
    }

    @Test func versionNamesTheCommit() throws {
        let v = try Integration.mailstorm(["--version"])
        #expect(v.status == 0 && v.output.hasPrefix("mailstorm ") && v.output.contains("(git "), "\(v.output)")
    }

    /// The one verdict end to end: one trial against a one-trial baseline cannot estimate noise, so the answer
    /// is inconclusive (exit 5) everywhere; advisory, the KPIs alone decide (exit 0) everywhere.
    @Test func everyOutputShowsTheOneVerdict() throws {
        let dir = NSTemporaryDirectory() + "ms-cli-verdict-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let common = ["run", "basic", "--set", "rate=10", "--set", "duration=2s", "--campaignd", Integration.binary("campaignd")]
        let first = try Integration.mailstorm(common + ["--out", dir + "/base", "--no-baseline", "--quiet"])
        #expect(first.status == 0 || first.status == 1, "\(first.output)")
        let baseRun = try FileManager.default.contentsOfDirectory(atPath: dir + "/base")[0]
        let saved = try Integration.mailstorm(["baseline", "save", dir + "/base/" + baseRun, "--dir", dir + "/baselines"])
        #expect(saved.status == 0 && saved.output.contains("one trial"), "\(saved.output)")
        let baseline = dir + "/baselines/basic-smoke.json"
        for (extra, wantedCode, wanted) in [([String](), Int32(5), "INCONCLUSIVE"), (["--baseline-advisory"], 0, "PASS")] {
            let out = dir + "/run-\(wantedCode)"
            let r = try Integration.mailstorm(common + ["--out", out, "--baseline", baseline, "--max-trials", "1"] + extra)
            let folder = out + "/" + (try FileManager.default.contentsOfDirectory(atPath: out)[0])
            let summary = try Summary.decode(Data(contentsOf: URL(fileURLWithPath: folder + "/summary.json")))
            // A KPI measured above its threshold (a slow machine) decides first: FAIL, exit 1, everywhere.
            let (label, code) = summary.kpis.allSatisfy(\.pass) ? (wanted, wantedCode) : ("FAIL", Int32(1))
            #expect(summary.verdict.label == label && summary.verdict.exitCode == code)
            #expect(r.status == code && r.output.contains("verdict: \(label)"), "\(r.output)")
            let html = try String(contentsOfFile: folder + "/report.html", encoding: .utf8)
            #expect(html.contains(": \(label)</title>") && html.contains(">Verdict: \(label)<"))
            #expect(try String(contentsOfFile: folder + "/report.md", encoding: .utf8).contains("**Verdict: \(label)**"))
            let junit = try String(contentsOfFile: folder + "/junit.xml", encoding: .utf8)
            #expect(junit.contains("name=\"verdict: \(label)\"") && junit.contains("<failure") == (label == "FAIL"), "\(junit)")
        }
    }

    @Test func adHocHTTPModePrintsAWrk2StyleTable() throws {
        let stack = try Stack.up(Integration.stackOptions())
        defer { stack.down() }
        let flat = try Integration.mailstorm(["http", stack.endpoints.target + "/health", "--duration", "1s", "--connections", "2"])
        #expect(flat.status == 0, "\(flat.output)")
        #expect(flat.output.contains("99.900%") && flat.output.contains("Requests/sec:"))
        let open = try Integration.mailstorm(["http", stack.endpoints.target + "/health", "--duration", "1s", "--rate", "50", "--quiet"])
        let rps = Double(open.output.split(separator: " ").first ?? "") ?? 0
        #expect(open.status == 0 && (45...55).contains(rps), "\(open.output)")
        let bad = try Integration.mailstorm(["http", stack.endpoints.target, "--header", "NoColon"])
        #expect(bad.status == 2 && bad.output.contains("NoColon"))
    }

    @Test func aStackThatCannotStartExitsThree() throws {
        let dir = NSTemporaryDirectory() + "ms-cli-nostack-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = try Integration.mailstorm(["run", "basic", "--campaignd", "/nonexistent/campaignd", "--out", dir])
        #expect(out.status == 3, "\(out.output)")
        #expect(out.output.contains("/nonexistent/campaignd"))
    }

    /// A value campaignd refuses (it exits 2) is the user's input, not broken infrastructure: exit 2, naming it.
    @Test func aValueCampaigndRefusesExitsTwoNamingIt() throws {
        let dir = NSTemporaryDirectory() + "ms-cli-refused-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = try Integration.mailstorm(["run", "basic", "--campaignd", Integration.binary("campaignd"), "--campaignd-arg=--public-url=notaurl",
                                             "--no-baseline", "--out", dir])
        #expect(out.status == 2 && out.output.contains("--public-url 'notaurl'"), "\(out.output)")
    }

    @Test func aRunWritesItsFilesAndPrintsTheVerdict() throws {
        let dir = NSTemporaryDirectory() + "ms-cli-run-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let live = NSTemporaryDirectory() + "ms-cli-live-\(getpid()).jsonl"
        defer { try? FileManager.default.removeItem(atPath: live) }
        let out = try Integration.mailstorm(["run", "basic", "--rate", "10", "--duration", "2s", "--out", dir, "--out", "json=" + live, "--no-baseline",
                                             "--campaignd", Integration.binary("campaignd")])
        let runs = try FileManager.default.contentsOfDirectory(atPath: dir)
        #expect(runs.count == 1)
        let folder = dir + "/" + runs[0]
        for f in ["run.json", "summary.json", "report.md", "report.html", "junit.xml", "timeseries.csv", "latency.hlog"] { #expect(FileManager.default.fileExists(atPath: folder + "/" + f), "\(f)") }
        let summary = try Summary.decode(Data(contentsOf: URL(fileURLWithPath: folder + "/summary.json")))
        #expect(summary.requests.total == 80 && summary.requests.errors == 0)
        // Pass or fail is the KPIs' to decide on this machine's speed; the run must say the one it decided.
        let expected: Verdict.Outcome = summary.kpis.allSatisfy(\.pass) ? .pass : .fail
        #expect(summary.verdict.outcome == expected && out.status == summary.verdict.exitCode, "\(out.output)")
        #expect(out.output.contains("verdict: \(summary.verdict.label)"))
        let csv = try String(contentsOfFile: folder + "/timeseries.csv", encoding: .utf8).split(separator: "\n")
        #expect(csv.count >= 3)
        // --out json=: every line one JSON object; the intervals add up to the run's requests, and the verdict comes last.
        let lines = try String(contentsOfFile: live, encoding: .utf8).split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        let intervals = lines.filter { $0["type"] as? String == "interval" }
        #expect(intervals.reduce(0) { $0 + ($1["requests"] as? Int ?? 0) } == 80, "\(intervals.count) intervals")
        #expect(lines.first?["event"] as? String == "trial_started" && lines.last?["verdict"] as? String == summary.verdict.label)
        // latency.hlog as another tool reads it: the PyPI hdrhistogram's log reader sums the intervals to the run's
        // requests, and to the summary's percentiles within a bucket (hdrhistogram reports a bucket's highest value;
        // the summary clamps the top one to the largest value recorded). Only percentiles where both rank rules pick
        // the same value are compared: hdrhistogram rounds p × n half up, HdrHistogram (Java, Swift) takes its ceiling.
        let hlog = try ManagedProcess.runToEnd(Integration.repository + "/.build/venv/bin/python",
                                               [Integration.repository + "/Tests/CrossChecks/hlog_read.py", folder + "/latency.hlog"])
        let read = try #require(try JSONSerialization.jsonObject(with: Data(hlog.output.utf8)) as? [String: Double], "\(hlog.output)")
        let n = Double(summary.requests.total)
        #expect(read["count"] == n && read["intervals"] ?? 0 >= 2, "\(read)")
        let l = summary.latencyMs
        for (key, p, ms) in [("p50", 50.0, l.p50), ("p90", 90, l.p90), ("p99", 99, l.p99), ("p99.9", 99.9, l.p999), ("max", 100, l.max)]
        where p == 100 || (p * n / 100).rounded(.up) == (p * n / 100 + 0.5).rounded(.down) {
            let theirs = read[key] ?? -1, ours = (ms * 1000).rounded()
            #expect(ours <= theirs && theirs - ours < theirs / 1000, "\(key): hdrhistogram \(theirs) µs, summary \(ms) ms")
        }
        // report.html as a reader sees it: Chromium builds the page, logs nothing from its console, and draws it.
        let png = Integration.buildDirectory + "/report-screenshot.png"
        let page = try Integration.chromium(folder + "/report.html", screenshot: png)
        #expect(page.console.isEmpty, "\(page.console)")
        #expect(page.dom.contains("Verdict: \(summary.verdict.label)") && page.dom.contains("<svg") && page.dom.contains("chart-latency"), "\(page.dom.prefix(800))")
        let size = (try FileManager.default.attributesOfItem(atPath: png)[.size] as? Int) ?? 0
        #expect(size > 20_000, "screenshot \(png): \(size) bytes")
    }

    /// `--summary-export -` puts the summary, and nothing else, on standard output: a machine reads it as JSON.
    /// `history` on a folder without runs is a usage error, not an empty chart; `stack up` takes `--keep-stack`.
    @Test func machineReadableOutputAndClearCLIErrors() throws {
        let dir = NSTemporaryDirectory() + "ms-cli-export-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // Standard output alone (runToEnd joins both streams): stderr is dropped by the shell.
        let r = try ManagedProcess.runToEnd("/bin/sh", ["-c", "exec \"$0\" \"$@\" 2>/dev/null", Integration.binary("mailstorm"), "run", "basic",
                                                        "--set", "rate=5", "--set", "duration=1s", "--out", dir, "--no-baseline", "--summary-export", "-"])
        let summary = try Summary.decode(Data(r.output.utf8))
        #expect(summary.requests.total == 20 && r.status == summary.verdict.exitCode, "\(r.output.prefix(300))")
        let runs = try FileManager.default.contentsOfDirectory(atPath: dir).filter { !$0.hasPrefix(".") }
        let csv = try String(contentsOfFile: "\(dir)/\(runs[0])/resources.csv", encoding: .utf8)
        #expect(csv.hasPrefix("process,t_s,cpu_s,cpu_percent,pss_mib,"))
        #expect(try String(contentsOfFile: "\(dir)/\(runs[0])/services.csv", encoding: .utf8).hasPrefix("t_s,"))
        let bad = try Integration.mailstorm(["run", "basic", "--summary-export", "/nonexistent/dir/s.json", "--out", dir])
        #expect(bad.status == 2 && bad.output.contains("/nonexistent/dir"), "\(bad.output)")
        let empty = NSTemporaryDirectory() + "ms-cli-empty-\(getpid())"
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: empty) }
        let history = try Integration.mailstorm(["history", empty])
        #expect(history.status == 2 && history.output.contains("nothing to chart"), "\(history.output)")
        #expect(try Integration.mailstorm(["stack", "up", "--help"]).output.contains("--keep-stack"))
    }

    /// Two `stack up`s at once, in a temporary folder of the test's own: `stack down` stops the newest, then the
    /// other, and says so; the second one's end no longer takes the first one's state with it.
    @Test func stackDownStopsTheNewestOfSeveralAndLosesNone() async throws {
        let tmp = NSTemporaryDirectory() + "ms-stack-cli-\(getpid())"
        // Anyone may write in it, as in /tmp: PostgreSQL runs as postgres when the tests run as root.
        try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o1777])
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let env = ["TMPDIR=\(tmp)/", Integration.binary("mailstorm"), "stack"]
        func down() throws -> (status: Int32, output: String) { try ManagedProcess.runToEnd("/usr/bin/env", env + ["down"]) }
        var ups: [ManagedProcess] = []
        defer { ups.forEach { $0.stop() } }
        for i in 0..<2 {
            let up = try ManagedProcess(name: "stack-up-\(i)", executable: "/usr/bin/env",
                                        arguments: env + ["up", "--campaignd", Integration.binary("campaignd")], logPath: tmp + "/up-\(i).log")
            ups.append(up)
            #expect(try await Integration.eventually(30) { up.logTail().contains("Ctrl-C") }, "\(up.logTail())")
        }
        let first = try down()
        #expect(first.status == 0 && first.output.contains("pid \(ups[1].pid)") && first.output.contains("1 more running"), "\(first.output)")
        #expect(try await Integration.eventually(10) { !ups[1].isRunning } && ups[0].isRunning)
        let second = try down()
        #expect(second.status == 0 && second.output.contains("pid \(ups[0].pid)") && !second.output.contains("more running"), "\(second.output)")
        #expect(try await Integration.eventually(10) { !ups[0].isRunning })
        let none = try down()
        #expect(none.status == 2 && none.output.contains("no running stack"), "\(none.output)")
    }

    @Test func aRegressionInjectedIntoCampaigndFailsTheKPIs() throws {
        let dir = NSTemporaryDirectory() + "ms-cli-slow-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // 120 ms on every stats call: the p99 KPI (100 ms) must fail, and the exit code must say so.
        let out = try Integration.mailstorm(["run", "basic", "--set", "rate=10", "--set", "duration=2s", "--out", dir, "--no-baseline",
                                             "--campaignd", Integration.binary("campaignd"), "--campaignd-arg=--inject-delay=GET /api/stats=120"])
        #expect(out.status == 1, "\(out.output)")
        #expect(out.output.contains("verdict: FAIL"))
    }
}
}
