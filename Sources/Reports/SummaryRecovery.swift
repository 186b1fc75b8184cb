import Foundation
import Harness

/// Rebuilds a summary from what a killed run left on disk: run.json, timeseries.csv and latency.hlog.
/// Per-endpoint figures are not in those files, so they are absent; the verdict is "fail" (interrupted).
public enum SummaryRecovery {
    public static func recover(_ folder: RunFolder) throws -> Summary {
        guard FileManager.default.fileExists(atPath: folder.file("run.json")) else {
            throw ReportError("\(folder.path) has neither summary.json nor run.json")
        }
        let info = try folder.readInfo()
        let rows = try readCSV(folder.file("timeseries.csv"))
        var latency = LatencyHistogram.latency()
        for h in try readLog(folder.file("latency.hlog")) { latency.add(h) }
        let requests = rows.reduce(UInt64(0)) { $0 + $1.requests }
        let ok = rows.reduce(UInt64(0)) { $0 + $1.ok }
        let errors = rows.reduce(UInt64(0)) { $0 + $1.errors }
        let dropped = rows.reduce(UInt64(0)) { $0 + $1.dropped }
        let duration = rows.last.map { $0.t + ($0.rps > 0 ? Double($0.requests) / $0.rps : 1) } ?? 0
        let kpis = KPICatalog.set(info.kpiSet)
        let errorRate = requests == 0 ? 1 : Double(errors) / Double(requests)
        let p = Summary.Percentiles(latency)
        let results = SummaryBuilder.evaluate(kpis, latency: p, errorRate: errorRate)
        return Summary(
            schemaVersion: Summary.currentSchemaVersion, scenario: info.scenario, profile: info.profile, load: info.load,
            target: info.target, embeddedStack: false, startedAt: info.startedAt, durationS: duration, interrupted: true,
            machine: .current, machineSpeed: nil, gitSha: info.gitSha, requests: .init(total: requests, ok: ok, errors: errors, dropped: dropped),
            iterations: .init(started: 0, completed: 0, peakInFlight: rows.map(\.inFlight).max() ?? 0, peakConnections: rows.map(\.connections).max() ?? 0),
            throughputRps: duration > 0 ? Double(requests) / duration : 0, latencyMs: p, serviceTimeMs: .init(.latency()),
            errorsByClass: [:], perEndpoint: [:], perStatusClass: [:], histograms: ["latency": HistogramCodec.base64(latency)],
            kpis: results, results: nil, resources: nil, trials: [], problems: [],
            verdict: .make(kpis: results, problems: [], interrupted: true, comparison: nil, advisory: false), timeseries: rows)
    }

    /// timeseries.csv back into rows (per-endpoint columns are not in the CSV).
    static func readCSV(_ path: String) throws -> [IntervalRow] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        var rows: [IntervalRow] = []
        for (n, line) in text.split(separator: "\n").enumerated().dropFirst() {
            let f = line.split(separator: ",").map(String.init)
            guard f.count == 13, let t = Double(f[0]), let req = UInt64(f[1]), let ok = UInt64(f[2]), let err = UInt64(f[3]),
                  let drop = UInt64(f[4]), let rps = Double(f[5]), let p50 = Double(f[6]), let p90 = Double(f[7]), let p95 = Double(f[8]),
                  let p99 = Double(f[9]), let mx = Double(f[10]), let inf = Int(f[11]), let conns = Int(f[12]) else {
                // A line cut short by the kill is the last one; anything else is corruption.
                if n == text.split(separator: "\n").count - 1 { break }
                throw ReportError("\(path) line \(n + 1) is malformed")
            }
            rows.append(IntervalRow(t: t, requests: req, ok: ok, errors: err, dropped: drop, rps: rps, p50Ms: p50, p90Ms: p90, p95Ms: p95,
                                    p99Ms: p99, maxMs: mx, inFlight: inf, connections: conns, perEndpoint: [:]))
        }
        return rows
    }

    /// The interval histograms of an HdrHistogram V2 log, as far as a killed run wrote it.
    public static func readLog(_ path: String) throws -> [LatencyHistogram] { try IntervalLog(path: path, lenient: true).intervals }
}
