import Harness
import Foundation

/// The endurance trends as text.
public enum EnduranceText {
    public static func render(_ e: EnduranceOutcome, summary s: Summary) -> String {
        func t(_ x: Trend?, _ unit: String, _ scale: Double = 1) -> String {
            x.map { String(format: "%+.4f ± %.4f %@/s%@", $0.slope * scale, $0.slopeCi95 * scale, unit, $0.significant ? " (significant)" : "") } ?? "n/a"
        }
        var out = "endurance: p99 " + t(e.p99Trend, "ms") + "; throughput " + t(e.throughputTrend, "req/s") + "\n"
        for (n, m) in e.memoryTrends.sorted(by: { $0.key < $1.key }) {
            let f = e.fds[n] ?? []
            out += "  \(n): memory " + t(m, "KiB", 1024) + (f.count == 2 ? ", open files \(f[0]) -> \(f[1])" : "") + "\n"
        }
        if let db = e.databaseBytes, db.count == 2 {
            out += String(format: "  database: %.1f MiB -> %.1f MiB\n", Double(db[0]) / 1_048_576, Double(db[1]) / 1_048_576)
        }
        let problems = e.problems(durationSeconds: s.durationS, p99Level: s.latencyMs.p99, memoryLevels: (s.resources ?? [:]).mapValues(\.memoryStartMb))
        out += problems.isEmpty ? "  no significant drift\n" : problems.map { "  DRIFT: \($0)\n" }.joined()
        return out
    }
}
