import ArgumentParser
import Foundation
import Harness
import Environment
import Reports

extension Mailstorm {
    struct HTTP: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "http", abstract: "Load one URL, like wrk (--connections) or wrk2 (--rate), and print the percentiles.")

        @Argument(help: "http://host:port/path") var url: String
        @Option(help: "How long, e.g. 10s, 2m.") var duration = "10s"
        @Option(help: "Requests per second (open model, latency from intended send time).") var rate: Double?
        @Option(help: "Connections: flat out, this many busy (wrk -c); at a --rate, at most this many, a request waiting for a free one timed from its intended send (wrk2 -c).")
        var connections = 64
        @Option(help: "Open model: requests in flight beyond which new ones are dropped.") var maxInFlight: Int?
        @Option(help: "Open model: one wake sends what falls due within this window, early, never late (0 = a wake per request).")
        var sendWindow = "1ms"
        @Option(help: "HTTP method.") var method = "GET"
        @Option(help: "Header 'Name: value'; repeatable.") var header: [String] = []
        @Option(help: "Request body.") var body: String?
        @Option(help: "Request timeout, e.g. 5s; it bounds the connect too.") var timeout = "10s"
        @Option(help: "Load-generator threads.") var threads = 1
        @Option(help: "Write summary.json, timeseries.csv and latency.hlog under this folder.") var out: String?
        @Flag(help: "Print only requests/sec and p99.") var quiet = false

        func run() async throws {
            do { try await execute() } catch { throw ExitStatus.map(error) }
        }

        func execute() async throws {
            guard let d = DurationText.seconds(duration) else { throw UsageError("--duration '\(duration)': expected e.g. 10s, 2m") }
            guard let t = DurationText.seconds(timeout) else { throw UsageError("--timeout '\(timeout)': expected e.g. 5s") }
            guard (1...64).contains(threads) else { throw UsageError("--threads must be 1 to 64") }
            guard let window = sendWindow == "0" ? 0 : DurationText.seconds(sendWindow), window <= 0.1 else {
                throw UsageError("--send-window '\(sendWindow)': expected 0 or a duration up to 100ms, e.g. 1ms")
            }
            var plan = try AdHocPlan.make(url: url, durationSeconds: d, rate: rate, connections: connections, maxInFlight: maxInFlight,
                                          method: method, headers: header, body: body, timeoutSeconds: t, threads: threads)
            plan.sendWindowNanos = UInt64(window * 1e9)
            if rate != nil { plan.maxConnections = connections }
            let folder = try out.map { try RunFolder(root: $0, scenario: "http") }
            var sinks: [any IntervalSink] = []
            if let folder {
                sinks += [try TimeseriesCSVSink(path: folder.file("timeseries.csv")), try HdrLogSink(path: folder.file("latency.hlog"))]
            }
            if !quiet { sinks.append(ProgressPrinter()) }
            let runner = LoadRunner(plan: plan, sinks: sinks)
            let control = RunControl()
            control.attach(runner)
            let trap = SignalTrap { _ in control.interrupt() }
            let r = try await runner.run()
            let batching = window > 0 ? ", sends batched within \(DurationText.text(window))" : ""
            let mode = rate.map { "open model at \($0) req/s\(batching), \(threads) thread(s)" } ?? "\(threads) thread(s) and \(connections) connections"
            if quiet {
                print(String(format: "%.2f req/s  p99 %.3f ms", r.throughput, r.overall.latency.millis(at: 99)))
            } else {
                print(WrkStyleReport.render(r, url: url, mode: mode), terminator: "")
            }
            if r.heldForConnection > 0 {
                let share = Double(r.heldForConnection) / Double(max(r.overall.requests, 1)) * 100
                FileHandle.standardError.write(Data(String(format: "warning: %llu requests (%.1f%%) waited over 1 ms for one of the %d connections: the generator, not the server, held them; raise --connections\n",
                                                           r.heldForConnection, share, connections).utf8))
            }
            if let folder {
                let summary = SummaryBuilder.build(scenario: "http", profile: "adhoc", load: mode, target: url, embedded: false, result: r, kpis: [])
                try folder.write(summary)
                if !quiet { print("results: \(folder.path)") }
            }
            if trap.fired { throw ExitCode(ExitStatus.interrupted) }
        }
    }
}
