import Foundation
import Harness

/// What an endurance run found drifting.
public struct EnduranceOutcome: ScenarioResult, Equatable {
    public static let key = "endurance"
    public static let title = "Endurance"

    /// p99 in ms per second of run time.
    public var p99Trend: Trend?
    /// Per endpoint, p99 in ms per second: names the endpoint behind a drift.
    public var endpointP99Trends: [String: Trend]?
    /// Throughput in req/s per second.
    public var throughputTrend: Trend?
    /// Memory (PSS) in MiB per second, per process.
    public var memoryTrends: [String: Trend]
    /// Open files at the start and the end, per process.
    public var fds: [String: [Int]]
    /// Database size in bytes at the start and the end, when the database is reachable.
    public var databaseBytes: [Int64]?
    /// What the drifts are judged against: the run's length, its overall p99, and each process's memory at the start (MiB).
    public var durationS: Double
    public var p99LevelMs: Double
    public var memoryLevelsMb: [String: Double]

    public init(p99Trend: Trend?, endpointP99Trends: [String: Trend]? = nil, throughputTrend: Trend?, memoryTrends: [String: Trend],
                fds: [String: [Int]], databaseBytes: [Int64]?, durationS: Double = 0, p99LevelMs: Double = 0, memoryLevelsMb: [String: Double] = [:]) {
        self.durationS = durationS
        self.p99LevelMs = p99LevelMs
        self.memoryLevelsMb = memoryLevelsMb
        self.p99Trend = p99Trend
        self.endpointP99Trends = endpointP99Trends
        self.throughputTrend = throughputTrend
        self.memoryTrends = memoryTrends
        self.fds = fds
        self.databaseBytes = databaseBytes
    }

    /// Drifts whose confidence interval excludes zero and that matter in size: p99 growing more than 10% of its
    /// level over the run (naming the endpoint that grows most), or a process's memory growing more than 10%
    /// over the run beyond what the data it stores explains. PostgreSQL keeps the pages of a growing database in
    /// its shared buffers, so its growth is judged net of the database's; the other processes store nothing that
    /// a steady-state soak lets grow.
    public func problems(durationSeconds: Double, p99Level: Double, memoryLevels: [String: Double]) -> [String] {
        var out: [String] = []
        if let t = p99Trend, t.significant, t.slope * durationSeconds > 0.1 * max(p99Level, 1) {
            let culprit = (endpointP99Trends ?? [:]).filter { $0.value.significant && $0.value.slope > 0 }.max { $0.value.slope < $1.value.slope }
            out.append(String(format: "p99 grows %.3f ms/s (±%.3f)", t.slope, t.slopeCi95)
                       + (culprit.map { String(format: ", most on %@ (%.3f ms/s)", $0.key, $0.value.slope) } ?? ""))
        }
        let dataMiBPerS = databaseBytes.flatMap { $0.count == 2 && durationSeconds > 0 ? Double($0[1] - $0[0]) / 1_048_576 / durationSeconds : nil } ?? 0
        for (name, t) in memoryTrends.sorted(by: { $0.key < $1.key }) {
            let explained = name == "postgres" ? max(dataMiBPerS, 0) : 0
            let unexplained = t.slope - explained
            guard t.significant, unexplained > t.slopeCi95, unexplained * durationSeconds > 0.1 * (memoryLevels[name] ?? .infinity) else { continue }
            out.append(String(format: "%@ memory grows %.1f KiB/s (±%.1f)%@: a leak", name, t.slope * 1024, t.slopeCi95 * 1024,
                              explained > 0 ? String(format: ", %.1f KiB/s beyond the database's growth", unexplained * 1024) : ""))
        }
        return out
    }

    public var problems: [String] { problems(durationSeconds: durationS, p99Level: p99LevelMs, memoryLevels: memoryLevelsMb) }

    public var headline: String { p99Trend.map { String(format: "p99 slope %+.4f ms/s", $0.slope) } ?? "no trend" }

    public func render() -> String {
        func t(_ x: Trend?, _ unit: String, _ scale: Double = 1) -> String {
            x.map { String(format: "%+.4f ± %.4f %@/s%@", $0.slope * scale, $0.slopeCi95 * scale, unit, $0.significant ? " (significant)" : "") } ?? "n/a"
        }
        var out = "endurance: p99 " + t(p99Trend, "ms") + "; throughput " + t(throughputTrend, "req/s") + "\n"
        for (n, m) in memoryTrends.sorted(by: { $0.key < $1.key }) {
            let f = fds[n] ?? []
            out += "  \(n): memory " + t(m, "KiB", 1024) + (f.count == 2 ? ", open files \(f[0]) -> \(f[1])" : "") + "\n"
        }
        if let db = databaseBytes, db.count == 2 {
            out += String(format: "  database: %.1f MiB -> %.1f MiB\n", Double(db[0]) / 1_048_576, Double(db[1]) / 1_048_576)
        }
        out += problems.isEmpty ? "  no significant drift\n" : problems.map { "  DRIFT: \($0)\n" }.joined()
        return out
    }
}
