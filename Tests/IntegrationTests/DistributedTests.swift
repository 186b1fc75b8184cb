import Foundation
import Testing
import Harness
import Environment
import Reports
import Synchronization

extension SharedMachine {
/// Segments of one load, run as separate processes against one stack and merged: the whole load, exactly.
@Suite struct DistributedTests {
    static func runs(under root: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).sorted().map { root + "/" + $0 }
    }

    /// 1, 2 and 4 segment processes at the same global rate: the same request count as the one schedule, to the
    /// request, and a merged histogram holding every request.
    @Test func segmentsRunAsProcessesMergeToTheWholeLoad() throws {
        let stack = try Stack.up(Integration.stackOptions())
        defer { stack.down() }
        try Integration.seed(stack, contacts: 100)
        let rate = 60.0, duration = 3.0
        var whole = 0
        while ConstantRate(perSecond: rate, durationSeconds: duration).dueTime(ofIteration: UInt64(whole)) != nil { whole += 1 }
        let root = NSTemporaryDirectory() + "segments-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: root) }
        for n in [1, 2, 4] {
            let start = String(Int(Date().timeIntervalSince1970) + 3)
            let results = Mutex<[Int32]>([])
            // One thread per process: all must be waiting before the common start (a pool of 2 would run them 2 by 2).
            let done = DispatchGroup()
            for i in 0..<n {
                done.enter()
                Thread.detachNewThread {
                    let r = try? Integration.mailstorm(["run", "basic", "--target", stack.endpoints.target, "--set", "rate=\(Int(rate))",
                                                        "--set", "duration=\(Int(duration))s", "--segment", "\(i)/\(n)", "--start-at", start,
                                                        "--out", "\(root)/\(n)/\(i)", "--no-baseline", "--quiet"])
                    results.withLock { $0.append(r?.status ?? -1) }
                    done.leave()
                }
            }
            done.wait()
            #expect(results.withLock { $0 }.allSatisfy { $0 == 0 || $0 == 1 }, "segment exits \(results.withLock { $0 })")
            let folders = (0..<n).flatMap { Self.runs(under: "\(root)/\(n)/\($0)") }
            let merged = try SegmentMerge.merge(try folders.map(SegmentMerge.read))
            let s = merged.summary
            #expect(s.requests.total == UInt64(4 * whole), "\(n) segments: \(s.requests.total) requests, the schedule has \(4 * whole)")
            #expect(s.requests.dropped == 0 && s.iterations.started == UInt64(whole))
            #expect(try HistogramCodec.decode(base64: s.histograms["latency"]!).totalCount == s.requests.total)
            #expect(s.timeseries.reduce(0) { $0 + $1.requests } == s.requests.total)
            // The CLI writes the same merge as a run folder, judged.
            let cli = try Integration.mailstorm(["merge"] + folders + ["--out", "\(root)/merged-\(n)", "--no-baseline", "--quiet"])
            #expect([0, 1].contains(cli.status), "\(cli.output)")
            let written = try RunFolder(existing: try #require(Self.runs(under: "\(root)/merged-\(n)").first)).readSummary()
            #expect(written.requests.total == s.requests.total && written.segments?.count == n)
        }
        // Missing a segment is exit 3, naming it; a scenario with figures of its own cannot be split (exit 2).
        let two = (0..<2).flatMap { Self.runs(under: "\(root)/2/\($0)") }
        let missing = try Integration.mailstorm(["merge", two[0], "--out", "\(root)/bad"])
        #expect(missing.status == 3 && missing.output.contains("1/2 missing"), "\(missing.output)")
        let send = try Integration.mailstorm(["run", "send", "--segment", "0/2", "--out", "\(root)/bad"])
        #expect(send.status == 2 && send.output.contains("--segment"), "\(send.output)")
    }

    /// Two campaignd instances on one PostgreSQL and Redis: a write through one drops the key from the other's
    /// L1 through Redis pub/sub, so the other serves the new value at once, not after its 5 s L1 TTL. And
    /// `--target a,b` deals iterations round robin: each instance gets exactly its half of the requests.
    @Test func twoInstancesStayCoherentAndShareTheLoad() async throws {
        let stack = try Stack.up(Integration.stackOptions())
        defer { stack.down() }
        try Integration.seed(stack, contacts: 10)
        let dir = NSTemporaryDirectory() + "second-campaignd-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let b = try CampaignServer(binary: Integration.binary("campaignd"), directory: dir, databaseURL: stack.endpoints.databaseURL!,
                                   redisURL: stack.endpoints.redisURL!, extraArguments: ["--rate-limit", "0"])
        defer { b.process.stop() }
        let onA = try await APIClient.login(stack.endpoints.target), onB = try await APIClient.login(b.url)
        let id = try #require(try await onA.call("POST", "/api/campaigns", json: ["name": "one", "subject": "s"]).json["id"] as? Int)
        #expect(try await onB.call("GET", "/api/campaigns/\(id)").json["name"] as? String == "one")
        #expect(try await onB.call("GET", "/api/campaigns/\(id)").header("X-Cache") == "HIT", "B holds it in L1")
        #expect(try await onA.call("PATCH", "/api/campaigns/\(id)", json: ["name": "two"]).status == 200)
        let written = Date()
        var seen: Double?
        while seen == nil, Date().timeIntervalSince(written) < 5 {
            if try await onB.call("GET", "/api/campaigns/\(id)").json["name"] as? String == "two" { seen = Date().timeIntervalSince(written) }
        }
        let after = try #require(seen, "B still served the old name after its L1 TTL")
        print("a write on instance A was visible on instance B after \(String(format: "%.1f", after * 1000)) ms")
        #expect(after < 2.5, "seen after \(after) s: an L1 expiry (5 s), not an invalidation")

        let metricsA = try await Integration.get(stack.endpoints.target + "/metrics"), metricsB = try await Integration.get(b.url + "/metrics")
        let root = NSTemporaryDirectory() + "two-targets-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let run = try Integration.mailstorm(["run", "basic", "--target", "\(stack.endpoints.target),\(b.url)", "--set", "rate=25",
                                             "--set", "duration=2s", "--out", root, "--no-baseline", "--quiet"])
        #expect([0, 1].contains(run.status), "\(run.output)")
        let servedA = Integration.apiRequestsServed(metrics: try await Integration.get(stack.endpoints.target + "/metrics")) - Integration.apiRequestsServed(metrics: metricsA)
        let servedB = Integration.apiRequestsServed(metrics: try await Integration.get(b.url + "/metrics")) - Integration.apiRequestsServed(metrics: metricsB)
        // 50 iterations of 4 requests: even ones to A, odd ones to B.
        #expect(servedA == 100 && servedB == 100, "A served \(servedA), B \(servedB)")
    }

    /// deploy/kubernetes renders with kustomize, and every object passes PyPI's kubernetes-validate (written by
    /// others) against the Kubernetes API schemas; the generator is an Indexed Job of as many pods as segments.
    @Test func theKubernetesBaseRendersAndValidates() throws {
        let repo = Integration.repository
        let rendered = try ManagedProcess.runToEnd("/usr/bin/kubectl", ["kustomize", repo + "/deploy/kubernetes"])
        try #require(rendered.status == 0, "\(rendered.output)")
        let file = NSTemporaryDirectory() + "mailstorm-k8s-\(getpid()).yaml"
        try rendered.output.write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let validate = try ManagedProcess.runToEnd(repo + "/.build/venv/bin/kubernetes-validate", ["--strict", file])
        #expect(validate.status == 0, "\(validate.output)")
        let kinds = rendered.output.split(separator: "\n").filter { $0.hasPrefix("kind: ") }
        #expect(kinds.count == 14, "\(kinds)")
        #expect(rendered.output.contains("completionMode: Indexed") && rendered.output.contains("completions: 4")
                && rendered.output.contains("SEGMENTS: \"4\"") && rendered.output.contains("--segment \"$JOB_COMPLETION_INDEX/$SEGMENTS\""))
        let docker = try String(contentsOfFile: repo + "/deploy/Dockerfile", encoding: .utf8)
        for runtime in ["libpq5", "libhiredis0.14", "libcurl4", "libjemalloc2", "libssl3", "zlib1g"] {
            #expect(docker.contains(runtime), "the runtime image lacks \(runtime)")
        }
    }
}
}
