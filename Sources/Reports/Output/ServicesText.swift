import Harness
import Environment
import Foundation

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
