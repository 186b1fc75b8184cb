import Foundation
import Harness

/// The percentile table wrk2 prints, so `mailstorm http` reads like the tool people know.
public enum WrkStyleReport {
    public static func render(_ r: RunResult, url: String, mode: String) -> String {
        let h = r.overall.latency
        var out = "Running \(String(format: "%.1f", r.durationSeconds))s test @ \(url)\n  \(mode)\n"
        out += "  Latency Distribution (HdrHistogram - Recorded Latency, from intended send time)\n"
        for p in [50.0, 75, 90, 99, 99.9, 99.99, 99.999, 100] {
            out += String(format: "%8.3f%%  %9.2fms\n", p, h.millis(at: p))
        }
        let s = r.overall.service
        out += String(format: "  Service time (from actual send): p50 %.2fms  p99 %.2fms  max %.2fms\n", s.millis(at: 50), s.millis(at: 99), s.maxMillis)
        out += String(format: "#[Mean    = %10.3f, StdDeviation   = %10.3f]\n", h.meanMillis, h.totalCount == 0 ? 0 : h.stdDeviation / 1000)
        out += String(format: "#[Max     = %10.3f, Total count    = %10llu]\n", h.maxMillis, h.totalCount)
        out += "----------------------------------------------------------\n"
        out += String(format: "  %llu requests in %.2fs\n", r.overall.requests, r.durationSeconds)
        let nonOK = r.overall.errors.filter { $0.value > 0 }.sorted { $0.key.rawValue < $1.key.rawValue }
        if !nonOK.isEmpty { out += "  Errors: " + nonOK.map { "\($0.key.rawValue) \($0.value)" }.joined(separator: ", ") + "\n" }
        if r.droppedIterations > 0 { out += "  Dropped (in-flight cap reached): \(r.droppedIterations)\n" }
        out += String(format: "Requests/sec: %10.2f\n", r.throughput)
        return out
    }
}
