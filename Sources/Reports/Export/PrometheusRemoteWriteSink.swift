import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Harness

/// `run --out prometheus=URL`: each interval pushed to a Prometheus remote-write receiver (Prometheus itself with
/// `--web.enable-remote-write-receiver`, Mimir, Thanos, VictoriaMetrics) while the run goes, as k6's
/// `experimental-prometheus-rw` output does. Series (labels `scenario`, `run`, `trial`, and `endpoint` where it
/// applies): `mailstorm_http_reqs_total`, `mailstorm_http_req_errors_total`, `mailstorm_dropped_iterations_total`
/// (counters over the run), `mailstorm_http_req_duration_seconds{quantile=...}` (0.5, 0.9, 0.95, 0.99 and 1 of the
/// interval, from intended send time), `mailstorm_in_flight` and `mailstorm_connections`.
public final class PrometheusRemoteWriteSink: IntervalSink, @unchecked Sendable {
    private let url: URL
    private let base: [(String, String)]
    private let lock = NSLock()
    private var trial = 1
    private var totals = (requests: 0.0, errors: 0.0, dropped: 0.0)
    private var endpointTotals: [String: (requests: Double, errors: Double)] = [:]
    private var pushes = 0, failures = 0, lastError: String?
    private let pending = DispatchGroup()
    private let session: URLSession

    /// The receiver's URL, checked before anything starts; the error names it.
    public static func receiver(_ text: String) throws(UsageError) -> URL {
        guard let url = URL(string: text), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
            throw UsageError("--out prometheus=\(text): want the receiver's URL, e.g. http://127.0.0.1:9090/api/v1/write")
        }
        return url
    }

    public init(url text: String, scenario: String, run: String) throws {
        url = try Self.receiver(text)
        base = [("scenario", scenario), ("run", run)]
        let config = URLSessionConfiguration.ephemeral
        config.timeoutIntervalForRequest = 5
        session = URLSession(configuration: config)
    }

    /// Numbers the intervals that follow (a new trial starts its counters again).
    public func startTrial(_ n: Int) {
        lock.lock(); defer { lock.unlock() }
        trial = n
        totals = (0, 0, 0)
        endpointTotals = [:]
    }

    public func intervalCompleted(_ s: IntervalSnapshot) {
        lock.lock()
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let labels = base + [("trial", String(trial))]
        totals.requests += Double(s.requests); totals.errors += Double(s.errors); totals.dropped += Double(s.dropped)
        var series: [RemoteWrite.Series] = [
            .init(name: "mailstorm_http_reqs_total", labels: labels, value: totals.requests, timestampMs: now),
            .init(name: "mailstorm_http_req_errors_total", labels: labels, value: totals.errors, timestampMs: now),
            .init(name: "mailstorm_dropped_iterations_total", labels: labels, value: totals.dropped, timestampMs: now),
            .init(name: "mailstorm_in_flight", labels: labels, value: Double(s.inFlight), timestampMs: now),
            .init(name: "mailstorm_connections", labels: labels, value: Double(s.connections), timestampMs: now),
        ]
        // An interval with no completed request has no latency to report: no sample rather than a false 0.
        if s.requests > 0 { series += Self.quantiles(s.latency, labels: labels, at: now) }
        for e in s.endpoints {
            var t = endpointTotals[e.name] ?? (0, 0)
            t.requests += Double(e.requests); t.errors += Double(e.errors)
            endpointTotals[e.name] = t
            let l = labels + [("endpoint", e.name)]
            series += [.init(name: "mailstorm_http_reqs_total", labels: l, value: t.requests, timestampMs: now),
                       .init(name: "mailstorm_http_req_errors_total", labels: l, value: t.errors, timestampMs: now)]
            if e.requests > 0 { series += Self.quantiles(e.latency, labels: l, at: now) }
        }
        pushes += 1
        lock.unlock()
        push(series)
    }

    static func quantiles(_ h: LatencyHistogram, labels: [(String, String)], at ms: Int64) -> [RemoteWrite.Series] {
        [("0.5", 50.0), ("0.9", 90), ("0.95", 95), ("0.99", 99), ("1", 100)].map { q, p in
            RemoteWrite.Series(name: "mailstorm_http_req_duration_seconds", labels: labels + [("quantile", q)],
                               value: (p == 100 ? h.maxMillis : h.millis(at: p)) / 1000, timestampMs: ms)
        }
    }

    /// Posts off the caller's queue; a receiver that is down costs failed pushes, never the run.
    private func push(_ series: [RemoteWrite.Series]) {
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.setValue("snappy", forHTTPHeaderField: "Content-Encoding")
        request.setValue("application/x-protobuf", forHTTPHeaderField: "Content-Type")
        request.setValue("0.1.0", forHTTPHeaderField: "X-Prometheus-Remote-Write-Version")
        request.httpBody = Data(RemoteWrite.snappy(RemoteWrite.protobuf(series)))
        pending.enter()
        session.dataTask(with: request) { [self] data, response, error in
            let status = (response as? HTTPURLResponse)?.statusCode ?? 0
            if error != nil || !(200..<300).contains(status) {
                let why = error.map { "\($0.localizedDescription)" } ?? "HTTP \(status): \(String(decoding: (data ?? Data()).prefix(200), as: UTF8.self))"
                lock.lock(); failures += 1; lastError = why; lock.unlock()
            }
            pending.leave()
        }.resume()
    }

    public func runFinished() {}

    /// Waits for the pushes in flight (at most `seconds`); what to tell the user when some failed.
    public func finish(seconds: Double = 10) -> String? {
        _ = pending.wait(timeout: .now() + seconds)
        lock.lock(); defer { lock.unlock() }
        guard failures > 0 else { return nil }
        return "prometheus remote write to \(url): \(failures) of \(pushes) pushes failed; last: \(lastError ?? "?")"
    }
}
