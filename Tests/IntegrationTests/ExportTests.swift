import Foundation
import Testing
import Harness
import Environment
@testable import Reports

extension SharedMachine {
    /// `--out prometheus=URL` against the real receiver a team runs: Prometheus 2.42 with its remote-write
    /// receiver (the Debian package `make test` installs). What Prometheus stores must be what the run counted.
    @Suite struct ExportTests {
        @Test func prometheusStoresWhatTheRunCounted() async throws {
            let dir = NSTemporaryDirectory() + "ms-prom-\(getpid())"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: dir) }
            try "global:\n  scrape_interval: 15s\n".write(toFile: dir + "/prometheus.yml", atomically: true, encoding: .utf8)
            let port = try FreePort.pick()
            let prometheus = try ManagedProcess(name: "prometheus", executable: "/usr/bin/prometheus", arguments: [
                "--config.file=" + dir + "/prometheus.yml", "--storage.tsdb.path=" + dir + "/data",
                "--web.listen-address=127.0.0.1:\(port)", "--web.enable-remote-write-receiver",
            ], logPath: dir + "/prometheus.log")
            defer { prometheus.stop() }
            let base = "http://127.0.0.1:\(port)"
            #expect(try await Integration.eventually(20) { (try? await Integration.get(base + "/-/ready"))?.contains("Ready") == true })
            let out = try Integration.mailstorm(["run", "basic", "--rate", "10", "--duration", "3s", "--no-baseline", "--quiet", "--out", dir + "/results",
                                                 "--out", "prometheus=\(base)/api/v1/write", "--campaignd", Integration.binary("campaignd")])
            #expect(!out.output.contains("pushes failed"), "\(out.output)")
            let run = try FileManager.default.contentsOfDirectory(atPath: dir + "/results")[0]
            let summary = try Summary.decode(Data(contentsOf: URL(fileURLWithPath: dir + "/results/" + run + "/summary.json")))
            func ask(_ q: String) async throws -> String {
                var c = URLComponents(string: base + "/api/v1/query")!
                c.queryItems = [URLQueryItem(name: "query", value: q)]
                // A query string's '+' reads as a space: PromQL's own '+' must be escaped.
                c.percentEncodedQuery = c.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B")
                return try await Integration.get(c.url!.absoluteString)
            }
            func query(_ q: String) async throws -> [[String: Any]] {
                let body = try await ask(q)
                let json = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
                return ((json?["data"] as? [String: Any])?["result"] as? [[String: Any]]) ?? []
            }
            func value(_ r: [[String: Any]]) -> Double? { ((r.first?["value"] as? [Any])?.last as? String).flatMap(Double.init) }
            let total = try await query("mailstorm_http_reqs_total{endpoint=\"\",run=\"\(run)\"}")
            #expect(value(total) == Double(summary.requests.total), "\(total)")
            let stats = try await query("mailstorm_http_reqs_total{endpoint=\"GET /api/stats\",run=\"\(run)\"}")
            #expect(value(stats) == Double(summary.perEndpoint["GET /api/stats"]?.requests ?? 0), "\(stats)")
            let p99 = try await query("max_over_time(mailstorm_http_req_duration_seconds{endpoint=\"\",quantile=\"1\",run=\"\(run)\"}[5m])")
            #expect(abs((value(p99) ?? 0) * 1000 - summary.latencyMs.max) < 0.01 * summary.latencyMs.max + 0.01, "\(p99) vs \(summary.latencyMs.max)")
            // The Grafana dashboard shipped in deploy/grafana: every query parses in this Prometheus, and Mailstorm's
            // own panels find this run's series.
            let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            let dashboard = try JSONSerialization.jsonObject(with: Data(contentsOf: root.appendingPathComponent("deploy/grafana/mailstorm-dashboard.json"))) as? [String: Any]
            let panels = try #require(dashboard?["panels"] as? [[String: Any]])
            for panel in panels {
                for target in (panel["targets"] as? [[String: Any]]) ?? [] {
                    let expr = ((target["expr"] as? String) ?? "").replacingOccurrences(of: "$scenario", with: ".*")
                        .replacingOccurrences(of: "$run", with: run).replacingOccurrences(of: "$job", with: ".*")
                    let body = try await ask(expr)
                    #expect(body.contains("\"status\":\"success\""), "\(panel["title"] ?? ""): \(expr): \(body.prefix(300))")
                    if (panel["title"] as? String)?.hasPrefix("Mailstorm") == true, !expr.contains("rate(") {
                        #expect(!(try await query(expr)).isEmpty, "\(expr) found no series")
                    }
                }
            }
            // A receiver that is down costs failed pushes and a message, never the run.
            let down = try Integration.mailstorm(["run", "basic", "--rate", "5", "--duration", "1s", "--no-baseline", "--quiet", "--out", dir + "/results",
                                                  "--out", "prometheus=http://127.0.0.1:1/api/v1/write", "--campaignd", Integration.binary("campaignd")])
            #expect(down.output.contains("pushes failed") && (down.status == 0 || down.status == 1), "\(down.output)")
            #expect(try Integration.mailstorm(["run", "basic", "--out", "prometheus=ftp://x"]).status == 2)
        }
    }
}
