import Foundation
import Testing
import Harness
import Reports

extension RealStack {
@Suite struct CommandLineTests {
    @Test(arguments: [
        (["run", "nope"], "unknown scenario 'nope'"),
        (["run", "basic", "--profile", "huge"], "unknown profile 'huge'"),
        (["run", "basic", "--set", "rate=abc"], "rate=abc"),
        (["run", "basic", "--set", "speed=3"], "speed"),
        (["run", "basic", "--target", "ftp://127.0.0.1"], "ftp://127.0.0.1"),
    ])
    func usageErrorsExitTwoAndNameTheCulprit(args: [String], culprit: String) throws {
        let out = try Integration.mailstorm(args + ["--out", NSTemporaryDirectory() + "ms-cli-tests"])
        #expect(out.status == 2, "\(out.output)")
        #expect(out.output.contains(culprit), "\(out.output)")
    }

    @Test func badBaselineAndRunFoldersExitTwo() throws {
        let bad = try Integration.mailstorm(["run", "basic", "--baseline", "/nonexistent/b.json"])
        #expect(bad.status == 2 && bad.output.contains("/nonexistent/b.json"), "\(bad.output)")
        let report = try Integration.mailstorm(["report", "/nonexistent/run"])
        #expect(report.status == 2 && report.output.contains("/nonexistent/run"), "\(report.output)")
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
        let out = try Integration.mailstorm(["run", "basic", "--campaignd", "/nonexistent/campaignd", "--out", NSTemporaryDirectory() + "ms-cli-tests"])
        #expect(out.status == 3, "\(out.output)")
        #expect(out.output.contains("/nonexistent/campaignd"))
    }

    @Test func aRunWritesItsFilesAndPrintsTheVerdict() throws {
        let dir = NSTemporaryDirectory() + "ms-cli-run-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = try Integration.mailstorm(["run", "basic", "--set", "rate=10", "--set", "duration=2s", "--out", dir, "--no-baseline",
                                             "--campaignd", Integration.binary("campaignd")])
        #expect(out.status == 0, "\(out.output)")
        #expect(out.output.contains("verdict: PASS"))
        let runs = try FileManager.default.contentsOfDirectory(atPath: dir)
        #expect(runs.count == 1)
        let folder = dir + "/" + runs[0]
        for f in ["run.json", "summary.json", "report.md", "report.html", "junit.xml", "timeseries.csv", "latency.hlog"] { #expect(FileManager.default.fileExists(atPath: folder + "/" + f), "\(f)") }
        let summary = try Summary.decode(Data(contentsOf: URL(fileURLWithPath: folder + "/summary.json")))
        #expect(summary.requests.total == 80 && summary.verdict == "pass")
        let csv = try String(contentsOfFile: folder + "/timeseries.csv", encoding: .utf8).split(separator: "\n")
        #expect(csv.count >= 3)
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
