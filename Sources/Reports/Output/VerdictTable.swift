import Harness
import Foundation

/// The short table `mailstorm run` prints: the KPIs, then the verdict.
public enum VerdictTable {
    public static func render(_ s: Summary) -> String {
        var out = "\(s.scenario) (\(s.profile)): \(s.load)\n"
        // A send or an import generates no request load of its own: its figures are below.
        if s.requests.total > 0 || (s.email == nil && s.bulkImport == nil) {
        out += String(format: "requests %llu  ok %llu  errors %llu  dropped %llu  throughput %.1f req/s  over %.1f s\n",
                      s.requests.total, s.requests.ok, s.requests.errors, s.requests.dropped, s.throughputRps, s.durationS)
        out += String(format: "latency ms (from intended send)  p50 %.2f  p90 %.2f  p99 %.2f  p99.9 %.2f  max %.2f\n",
                      s.latencyMs.p50, s.latencyMs.p90, s.latencyMs.p99, s.latencyMs.p999, s.latencyMs.max)
        }
        let rows = s.kpis.map { k in
            [k.name, k.comparator + " " + Self.format(k.threshold, k.unit), k.measured, k.pass ? "pass" : "FAIL"]
        }
        if !rows.isEmpty { out += Table.render(header: ["KPI", "threshold", "measured", "result"], rows: rows) }
        if let st = s.stress { out += StressTable.render(st) }
        if let sp = s.spike { out += SpikeText.render(sp) }
        if let c = s.capacity { out += CapacityText.render(c) }
        if let e = s.endurance { out += EnduranceText.render(e, summary: s) }
        if let e = s.email { out += EmailText.render(e) }
        if let i = s.bulkImport { out += ImportText.render(i) }
        if let f = s.faults { out += FaultText.render(f) }
        if let sv = s.services { out += ServicesText.render(sv) }
        if let st = s.serverStages { out += StagesText.render(st, summary: s) }
        if let p = s.serverProfile { out += ProfileText.render(p) } else if let n = s.profileNote { out += n + "\n" }
        out += render(s.verdict)
        return out
    }

    /// "verdict: FAIL" and each reason on its own line.
    public static func render(_ v: Verdict) -> String {
        "verdict: \(v.label)\(v.interrupted ? " (interrupted)" : "")\n" + v.reasons.map { "  - \($0)\n" }.joined()
    }

    static func format(_ v: Double, _ unit: String) -> String {
        if unit == "ratio" { return String(format: "%.2f%%", v * 100) }
        if unit == "/h" { return String(format: "%.0f /h", v) }
        return String(format: "%.2f %@", v, unit)
    }
}

/// Plain-text tables with aligned columns.
public enum Table {
    public static func render(header: [String], rows: [[String]]) -> String {
        let all = [header] + rows
        let widths = header.indices.map { i in all.map { $0[i].count }.max() ?? 0 }
        func line(_ r: [String]) -> String {
            r.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ")
                .trimmingCharacters(in: .whitespaces) + "\n"
        }
        return line(header) + line(widths.map { String(repeating: "-", count: $0) }) + rows.map(line).joined()
    }
}

/// The stress search's steps, knee and breaking point as text.
public enum StressTable {
    public static func rows(_ st: StressOutcome) -> [[String]] {
        st.steps.map { [String(format: "%.1f", $0.rate), String(format: "%.1f", $0.throughput), String(format: "%.2f", $0.p99Ms),
                        String(format: "%.2f%%", $0.errorRate * 100), String(format: "%.2f%%", $0.droppedRate * 100), $0.pass ? "meets SLO" : "BREAKS"] }
    }
    public static let header = ["iterations/s", "req/s", "p99 ms", "errors", "dropped", "SLO"]

    public static func render(_ st: StressOutcome) -> String {
        var out = Table.render(header: header, rows: rows(st))
        out += "knee: " + (st.knee.map { String(format: "%.1f iterations/s", $0) } ?? "none (the first step broke the SLO)")
        if let r = st.kneeRequestsPerSecond { out += String(format: " (%.1f req/s measured)", r) }
        out += "; breaking point: " + (st.breaking.map { String(format: "%.1f iterations/s", $0) } ?? "not reached") + "\n"
        return out
    }
}

/// The planned faults, one row each: when each took effect and ended, what the load saw meanwhile, and how
/// long the service took to meet its SLO again.
public enum FaultText {
    /// With a send, two more columns: emails delivered twice after each fault, and how many it may repeat.
    public static func header(_ f: FaultOutcome) -> [String] {
        ["fault", "began s", "back s", "requests", "errors", "p99 ms", "recovery s"] + (withSend(f) ? ["emails twice", "may repeat"] : [])
    }

    static func withSend(_ f: FaultOutcome) -> Bool { f.windows.contains { $0.emailsRepeated != nil } }

    public static func rows(_ f: FaultOutcome) -> [[String]] {
        f.windows.map { w -> [String] in
            let recovery = !f.recoveryJudged ? "-" : w.recoverySeconds.map { String(format: "%.1f", $0) } ?? "never"
            let row: [String] = [w.fault, String(format: "%.1f", w.began), String(format: "%.1f", w.ended), "\(w.requests)", "\(w.errors)",
                                 w.requests > 0 ? String(format: "%.2f", w.p99Ms) : "-", recovery]
            guard withSend(f) else { return row }
            return row + [w.emailsRepeated.map { String($0) } ?? "-", w.repeatsAllowed.map { String($0) } ?? "-"]
        }
    }

    /// What "recovered" means, in one line.
    public static func rule(_ f: FaultOutcome) -> String {
        guard f.recoveryJudged else { return "faults (no request load: the scenario's own checks judge them):" }
        return String(format: "faults (recovered: from then on every second p99 ≤ %.0f ms and errors ≤ %.0f%%; limit %.0f s):",
                      f.slo.p99Ms, f.slo.errorRate * 100, f.recoveryLimitSeconds)
    }

    public static func render(_ f: FaultOutcome) -> String { rule(f) + "\n" + Table.render(header: header(f), rows: rows(f)) }
}

/// The spike's figures as one paragraph.
public enum SpikeText {
    public static func render(_ sp: SpikeOutcome) -> String {
        String(format: "spike: p99 %.2f ms before, %.2f ms at worst during; errors during %.2f%%, dropped %llu; ", sp.levelP99Ms, sp.spikeP99Ms,
               sp.spikeErrorRate * 100, sp.spikeDropped)
            + (sp.recoveryS.map { String(format: "recovered (p99 ≤ %.2f ms for 3 s) %.0f s after the surge\n", sp.recoveryLimitMs, $0) }
               ?? String(format: "p99 did not come back under %.2f ms before the run ended\n", sp.recoveryLimitMs))
    }
}

/// The capacity sweep and its USL fit as text.
public enum CapacityText {
    public static let header = ["VUs", "req/s", "p99 ms", "errors", "SLO"]

    public static func rows(_ c: CapacityOutcome) -> [[String]] {
        c.levels.map { ["\($0.vus)", String(format: "%.1f", $0.throughput), String(format: "%.2f", $0.p99Ms),
                        String(format: "%.2f%%", $0.errorRate * 100), $0.pass ? "meets SLO" : "BREAKS"] }
    }

    public static func summary(_ c: CapacityOutcome) -> String {
        var out = ""
        if let u = c.usl {
            out += String(format: "USL fit: lambda %.1f req/s per VU, sigma %.4f, kappa %.6f, R² %.3f", u.lambda, u.sigma, u.kappa, u.r2)
            if let n = c.peakConcurrency, let x = c.peakRps { out += String(format: "; peak %.0f req/s at %.0f VUs", x, n) }
            out += "\n"
        }
        if let k = c.kneeRps, let n = c.instancesNeeded {
            out += String(format: "knee: %.1f req/s at p99 ≤ 100 ms; %.0f req/s needs %d campaignd instance(s) of this size\n", k, c.targetRps, n)
        } else {
            out += "knee: no level met the SLO\n"
        }
        return out
    }

    public static func render(_ c: CapacityOutcome) -> String { Table.render(header: header, rows: rows(c)) + summary(c) }
}

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

/// The send scenario's figures as text.
public enum EmailText {
    public static func render(_ e: EmailOutcome) -> String {
        var out = String(format: "send over %@: %d recipients in %.1f s: %.0f emails/s (%.0f per hour)\n",
                         e.transport, e.recipients, e.durationS, e.emailsPerS, e.emailsPerHour)
        out += String(format: "delivery time (enqueue to acceptance) ms: p50 %.0f  p95 %.0f  p99 %.0f  max %.0f\n",
                      e.deliveryMs.p50, e.deliveryMs.p95, e.deliveryMs.p99, e.deliveryMs.max)
        out += "sink: accepted \(e.sink.accepted)  unique \(e.sink.unique)  duplicates \(e.sink.duplicates)  rejected \(e.sink.rejected)\n"
        out += "campaignd: " + e.states.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: "  ")
        out += String(format: "  (success %.2f%%)\n", e.successRate * 100)
        if let c = e.campaigndCpuSPer1000 { out += String(format: "campaignd CPU: %.3f s per 1,000 emails\n", c) }
        if let g = e.engagement {
            out += "engagement by the sink: opens \(g["opens"] ?? 0), clicks \(g["clicks"] ?? 0), webhook items \(g["webhook_items"] ?? 0), failed requests \(g["failures"] ?? 0)\n"
        }
        for p in e.problems { out += "problem: \(p)\n" }
        return out
    }
}

/// The import scenario's figures as text.
public enum ImportText {
    public static func render(_ i: ImportOutcome) -> String {
        var out = String(format: "import: %d of %d rows in %.2f s over %d requests: %.0f rows/s (%.2f s per 100K)\n",
                         i.imported, i.rows, i.durationS, i.requests, i.rowsPerS, i.secondsPerHundredThousand)
        for p in i.problems { out += "problem: \(p)\n" }
        return out
    }
}

/// PostgreSQL, Redis and campaignd over the run, as text.
public enum ServicesText {
    public static func render(_ s: ServiceSummary) -> String {
        func f(_ v: Double?, _ fmt: String) -> String { v.map { String(format: fmt, $0) } ?? "n/a" }
        func pct(_ v: Double?) -> String { v.map { String(format: "%.1f%%", $0 * 100) } ?? "n/a" }
        var out = "postgres: \(f(s.pgCommitsPerS, "%.0f")) commits/s, buffer hit \(pct(s.pgBufferHitRatio)), backends ≤ \(f(s.pgMaxBackends, "%.0f"))\n"
        out += "redis: \(f(s.redisOpsPerS, "%.0f")) ops/s, keyspace hit \(pct(s.redisHitRatio)), memory ≤ \(f(s.redisMemoryMbMax, "%.1f")) MiB\n"
        out += "campaignd cache (L1 + Redis): hit \(pct(s.appCacheHitRatio)) of \(f(s.appCacheLookups, "%.0f")) lookups"
        if let d = s.jemallocDeltaBytes {
            out += "; jemalloc over the run: " + ["allocated", "active", "resident"].compactMap { k in
                d[k].map { String(format: "%@ %+.1f MiB", k, $0 / 1_048_576) } }.joined(separator: ", ")
        }
        out += "\n"
        if let n = s.appWebhookItems, let m = s.appWebhooksPerMinute {
            out += String(format: "provider webhooks applied: %.0f items, %.0f per minute while they flowed\n", n, m)
        }
        if !statementRows(s, queryWidth: 90).isEmpty {
            out += "top statements (pg_stat_statements, by total time):\n"
            out += Table.render(header: statementHeader, rows: statementRows(s, queryWidth: 90))
        }
        return out
    }

    public static let statementHeader = ["total ms", "calls", "mean ms", "query"]

    /// The five statements that took the most time; a query longer than `queryWidth` is cut at a word, with "…".
    public static func statementRows(_ s: ServiceSummary, queryWidth: Int) -> [[String]] {
        (s.pgTopStatements ?? []).prefix(5).map {
            [String(format: "%.0f", $0.totalMs), "\($0.calls)", String(format: "%.3f", $0.meanMs), shorten($0.query, to: queryWidth)]
        }
    }

    static func shorten(_ text: String, to width: Int) -> String {
        let flat = text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        guard flat.count > width else { return flat }
        let cut = flat.prefix(width)
        return String(cut.lastIndex(of: " ").map { cut[..<$0] } ?? cut) + " …"
    }
}

/// Per endpoint: the client's latency beside campaignd's own stages (Server-Timing).
public enum StagesText {
    public static let header = ["endpoint", "client p50", "client p99", "db p50", "db p99", "cache p50", "cache p99", "render p50", "render p99"]

    public static func rows(_ st: [String: [String: Summary.Percentiles]], summary s: Summary) -> [[String]] {
        st.sorted { $0.key < $1.key }.map { name, stages in
            let client = s.perEndpoint[name]?.latencyMs
            return [name, client.map { String(format: "%.2f", $0.p50) } ?? "", client.map { String(format: "%.2f", $0.p99) } ?? ""]
                + ["db", "cache", "render"].flatMap { k in
                    [stages[k].map { String(format: "%.2f", $0.p50) } ?? "", stages[k].map { String(format: "%.2f", $0.p99) } ?? ""] }
        }
    }

    public static func render(_ st: [String: [String: Summary.Percentiles]], summary s: Summary) -> String {
        "where the time goes (ms; client from intended send, stages from campaignd's Server-Timing):\n"
            + Table.render(header: header, rows: rows(st, summary: s))
    }
}

/// The hottest functions of campaignd's perf profile.
public enum ProfileText {
    public static func rows(_ p: ServerProfile) -> [[String]] {
        p.top.prefix(15).map { [String(format: "%.1f%%", $0.selfPercent), String(format: "%.1f%%", $0.totalPercent), String($0.name.prefix(120))] }
    }

    /// "user space 81.2%, kernel 12.0% (syscalls, network), scheduler 6.8% (switching threads: waits, not work)".
    public static func shares(_ p: ServerProfile) -> String? {
        guard let u = p.userPercent, let k = p.kernelPercent, let sch = p.schedulerPercent else { return nil }
        return String(format: "samples in user space %.1f%% (the table and the graph), kernel %.1f%% (syscalls, network), scheduler %.1f%% (switching threads: waits, not work)", u, k, sch)
    }

    public static func render(_ p: ServerProfile) -> String {
        "campaignd CPU profile: \(p.samples) samples (flame graph: \(p.svgFile), folded stacks: \(p.foldedFile))\n"
            + (shares(p).map { $0 + "\n" } ?? "")
            + Table.render(header: ["self", "total", "function"], rows: rows(p))
    }
}
