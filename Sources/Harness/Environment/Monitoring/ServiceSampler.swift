import Foundation
import Harness

/// One second of the services' own figures: PostgreSQL, Redis and campaignd.
public struct ServiceRow: Sendable, Codable, Equatable {
    public var t: Double
    public var pgCommitsPerS: Double?
    public var pgBufferHitRatio: Double?
    public var pgBackends: Double?
    public var pgRowsWrittenPerS: Double?
    public var redisOpsPerS: Double?
    public var redisHitRatio: Double?
    public var redisMemoryMb: Double?
    public var appCacheHitRatio: Double?
    public var appRequestsPerS: Double?
    public var appDbPoolBusy: Double?
    public var jemallocAllocatedMb: Double?
    public var jemallocResidentMb: Double?
    /// Provider-webhook items campaignd applied per second (seed 002: >= 800 a minute).
    public var appWebhooksPerS: Double?

    public static let csvHeader = "t_s,pg_commits_per_s,pg_buffer_hit_ratio,pg_backends,pg_rows_written_per_s,redis_ops_per_s,redis_hit_ratio,redis_memory_mb,app_cache_hit_ratio,app_requests_per_s,app_db_pool_busy,jemalloc_allocated_mb,jemalloc_resident_mb,app_webhooks_per_s"

    public var csv: String {
        ([t] + [pgCommitsPerS, pgBufferHitRatio, pgBackends, pgRowsWrittenPerS, redisOpsPerS, redisHitRatio, redisMemoryMb,
                appCacheHitRatio, appRequestsPerS, appDbPoolBusy, jemallocAllocatedMb, jemallocResidentMb, appWebhooksPerS].map { $0 ?? .nan })
            .map { $0.isNaN ? "" : String(format: "%.4g", $0) }.joined(separator: ",")
    }
}

/// The services over a whole run: ratios from the counters at the start and end, peaks, and the top statements.
public struct ServiceSummary: Sendable, Codable, Equatable {
    public struct Statement: Sendable, Codable, Equatable {
        public var query: String
        public var calls: Int
        public var totalMs: Double
        public var meanMs: Double
    }
    public var pgCommitsPerS: Double?
    /// Buffer cache hits over hits and reads, from pg_stat_database.
    public var pgBufferHitRatio: Double?
    public var pgMaxBackends: Double?
    /// pg_stat_statements, by total time, over the run.
    public var pgTopStatements: [Statement]?
    public var redisOpsPerS: Double?
    public var redisHitRatio: Double?
    public var redisMemoryMbMax: Double?
    /// campaignd's cache (L1, then Redis): lookups answered from either, over the run.
    public var appCacheHitRatio: Double?
    public var appCacheLookups: Double?
    public var appCacheHits: Double?
    /// campaignd's database statement latency over the run (ms), read from its Prometheus histogram: each value is
    /// the upper bound of the bucket holding that percentile, so it never understates.
    public var appDbQueryMs: [String: Double]?
    /// That histogram's cumulative buckets over the run, [upper bound in s, count]: trials merge by adding them.
    public var appDbQueryBuckets: [[Double]]?
    /// Provider-webhook items campaignd applied over the run, and per minute.
    public var appWebhookItems: Double?
    public var appWebhooksPerMinute: Double?
    /// jemalloc's allocated, active and resident bytes at the end minus at the start.
    public var jemallocDeltaBytes: [String: Double]?
    public var jemallocEndBytes: [String: Double]?
    public var rows: [ServiceRow]

    public init(rows: [ServiceRow]) { self.rows = rows }
}

/// Samples PostgreSQL (pg_stat_database, pg_stat_statements), Redis (INFO) and campaignd (/metrics) once a
/// second on a thread of its own. Any of the three may be absent (a target without database access).
public final class ServiceSampler: @unchecked Sendable {
    let databaseURL: String?
    let redisURL: String?
    let appURL: String?
    let onRow: (@Sendable (ServiceRow) -> Void)?
    private let lock = NSCondition()
    private var running = false
    private var thread: Thread?
    private var rows: [ServiceRow] = []
    private var first: Sample?
    private var last: Sample?
    private var totals = ServiceTotals()
    private var topStatements: [ServiceSummary.Statement]?
    private var finished = false

    struct Sample {
        var time: Date
        var pg: [Double]?        // xact_commit, blks_hit, blks_read, tup_ins+upd+del, numbackends
        var redis: [String: String]?
        var app: [String: Double]?
    }

    public init(databaseURL: String?, redisURL: String?, appURL: String?, onRow: (@Sendable (ServiceRow) -> Void)? = nil) {
        self.databaseURL = databaseURL
        self.redisURL = redisURL
        self.appURL = appURL
        self.onRow = onRow
    }

    public func start() {
        lock.lock()
        running = true
        lock.unlock()
        let t = Thread { [self] in loop() }
        t.name = "service-sampler"
        thread = t
        t.start()
    }

    private func loop() {
        var psql = databaseURL.flatMap { PSQLSession(url: $0) }
        // Statements counted from here: the extension is preloaded in the embedded stack; elsewhere this may fail.
        _ = psql?.query("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        _ = psql?.query("SELECT pg_stat_statements_reset()")
        let t0 = Date()
        var prev: Sample? = nil
        while true {
            // PostgreSQL restarted (a planned fault): psql lost its session and exited; a new one picks up.
            if let url = databaseURL, psql?.isAlive != true { psql = PSQLSession(url: url) }
            let s = Sample(
                time: Date(),
                pg: psql?.query("""
                    SELECT xact_commit, blks_hit, blks_read, tup_inserted + tup_updated + tup_deleted, numbackends
                    FROM pg_stat_database WHERE datname = current_database()
                    """).first?.compactMap(Double.init),
                redis: redisURL.flatMap { RedisInfo.fetch(url: $0) },
                app: appURL.flatMap { PrometheusText.fetch(url: $0) })
            lock.lock()
            if first == nil { first = s }
            last = s
            totals.add(s)
            lock.unlock()
            if let p = prev {
                let row = Self.row(p, s, t: s.time.timeIntervalSince(t0))
                lock.lock()
                rows.append(row)
                lock.unlock()
                onRow?(row)
            }
            prev = s
            lock.lock()
            if running { _ = lock.wait(until: Date().addingTimeInterval(1)) }
            let stop = !running
            lock.unlock()
            if stop { break }
        }
        let top = psql?.query("""
            SELECT regexp_replace(query, '\\s+', ' ', 'g'), calls, total_exec_time, mean_exec_time FROM pg_stat_statements
            WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) ORDER BY total_exec_time DESC LIMIT 8
            """).compactMap { r -> ServiceSummary.Statement? in
                guard r.count == 4, let c = Int(r[1]), let tot = Double(r[2]), let mean = Double(r[3]) else { return nil }
                return .init(query: String(r[0].prefix(300)), calls: c, totalMs: tot, meanMs: mean)
            }
        psql?.close()
        lock.lock()
        topStatements = (top?.isEmpty ?? true) ? nil : top
        finished = true
        lock.broadcast()
        lock.unlock()
    }

    static func ratio(_ hit: Double, _ total: Double) -> Double? { total > 0 ? hit / total : nil }

    /// Figures for the interval between two samples.
    static func row(_ a: Sample, _ b: Sample, t: Double) -> ServiceRow {
        let dt = max(b.time.timeIntervalSince(a.time), 1e-3)
        var r = ServiceRow(t: t)
        if let p = a.pg, let q = b.pg, p.count == 5, q.count == 5 {
            r.pgCommitsPerS = increase(p[0], q[0]) / dt
            r.pgBufferHitRatio = ratio(increase(p[1], q[1]), increase(p[1], q[1]) + increase(p[2], q[2]))
            r.pgRowsWrittenPerS = increase(p[3], q[3]) / dt
            r.pgBackends = q[4]
        }
        if let x = a.redis, let y = b.redis {
            r.redisOpsPerS = Double(y["instantaneous_ops_per_sec"] ?? "")
            let (h, m) = redisHitsAndMisses(x, y)
            r.redisHitRatio = ratio(h, h + m)
            r.redisMemoryMb = (Double(y["used_memory"] ?? "") ?? 0) / 1_048_576
        }
        if let x = a.app, let y = b.app {
            let (h, n) = appCache(x, y)
            r.appCacheHitRatio = ratio(h, n)
            r.appRequestsPerS = increase(PrometheusText.sum(x, "campaignd_http_requests_total"), PrometheusText.sum(y, "campaignd_http_requests_total")) / dt
            r.appDbPoolBusy = y["campaignd_db_pool_busy"]
            r.jemallocAllocatedMb = y["campaignd_jemalloc_allocated_bytes"].map { $0 / 1_048_576 }
            r.jemallocResidentMb = y["campaignd_jemalloc_resident_bytes"].map { $0 / 1_048_576 }
            r.appWebhooksPerS = increase(PrometheusText.sum(x, "campaignd_webhook_items_processed_total"), PrometheusText.sum(y, "campaignd_webhook_items_processed_total")) / dt
        }
        return r
    }

    /// How much a counter grew from `x` to `y`. A counter that went down was reset (its server restarted, a
    /// planned fault) and has counted `y` since, as Prometheus's increase() reads it.
    static func increase(_ x: Double, _ y: Double) -> Double { y >= x ? y - x : y }

    /// Redis keyspace hits and misses between two INFO replies.
    static func redisHitsAndMisses(_ x: [String: String], _ y: [String: String]) -> (Double, Double) {
        func v(_ i: [String: String], _ k: String) -> Double { Double(i[k] ?? "") ?? 0 }
        return (increase(v(x, "keyspace_hits"), v(y, "keyspace_hits")), increase(v(x, "keyspace_misses"), v(y, "keyspace_misses")))
    }

    /// campaignd cache hits (L1 or Redis) and lookups (every lookup starts at L1) between two scrapes.
    static func appCache(_ x: [String: Double], _ y: [String: Double]) -> (hits: Double, lookups: Double) {
        func d(_ name: String, _ level: String) -> Double {
            increase(PrometheusText.sum(x, name, having: "level=\"\(level)\""), PrometheusText.sum(y, name, having: "level=\"\(level)\""))
        }
        let l1h = d("campaignd_cache_hits_total", "l1"), l1m = d("campaignd_cache_misses_total", "l1")
        return (l1h + d("campaignd_cache_hits_total", "redis"), l1h + l1m)
    }

    /// Percentiles (ms, bucket upper bounds) of a Prometheus histogram between two scrapes; nil when empty.
    static func histogramPercentiles(_ x: [String: Double], _ y: [String: Double], _ name: String, _ ps: [Double]) -> [String: Double]? {
        percentiles(buckets(x, y, name), ps)
    }

    /// Cumulative buckets of a Prometheus histogram between two scrapes, [upper bound, count], ascending.
    static func buckets(_ x: [String: Double], _ y: [String: Double], _ name: String) -> [[Double]] {
        var buckets: [(le: Double, count: Double)] = []
        let prefix = name + "_bucket{"  // once, not a new String for each of the scrape's samples
        for (k, v) in y where k.hasPrefix(prefix) {
            guard let r = k.range(of: "le=\""), let end = k[r.upperBound...].firstIndex(of: "\"") else { continue }
            let le = String(k[r.upperBound..<end])
            buckets.append((le == "+Inf" ? .infinity : Double(le) ?? .infinity, increase(x[k] ?? 0, v)))
        }
        return buckets.sorted { $0.le < $1.le }.map { [$0.le, $0.count] }
    }

    /// Percentiles (ms, bucket upper bounds) of cumulative buckets; nil when empty.
    static func percentiles(_ buckets: [[Double]], _ ps: [Double]) -> [String: Double]? {
        guard let total = buckets.last?[1], total > 0 else { return nil }
        var out: [String: Double] = [:]
        for p in ps {
            if let b = buckets.first(where: { $0[1] >= p / 100 * total }) { out["p\(Int(p))"] = b[0] * 1000 }
        }
        return out
    }

    /// Stops sampling and summarises the run.
    public func stop() -> ServiceSummary {
        lock.lock()
        running = false
        lock.broadcast()
        while thread != nil && !finished { _ = lock.wait(until: Date().addingTimeInterval(5)); if !finished { break } }
        let (rows, first, last, top, t) = (self.rows, self.first, self.last, topStatements, totals)
        lock.unlock()
        var s = ServiceSummary(rows: rows)
        s.pgTopStatements = top
        guard let a = first, let b = last else { return s }
        if t.pgSeconds > 0 {
            s.pgCommitsPerS = t.commits / t.pgSeconds
            s.pgBufferHitRatio = Self.ratio(t.blocksHit, t.blocksHit + t.blocksRead)
        }
        s.pgMaxBackends = rows.compactMap(\.pgBackends).max()
        s.redisOpsPerS = rows.isEmpty ? nil : rows.compactMap(\.redisOpsPerS).reduce(0, +) / Double(max(rows.count, 1))
        if t.redisSeen { s.redisHitRatio = Self.ratio(t.redisHits, t.redisHits + t.redisMisses) }
        s.redisMemoryMbMax = rows.compactMap(\.redisMemoryMb).max()
        if t.appSeen {
            s.appCacheHitRatio = Self.ratio(t.appHits, t.appLookups)
            s.appCacheLookups = t.appLookups
            s.appCacheHits = t.appHits
            let buckets = t.dbBuckets.sorted { $0.key < $1.key }.map { [$0.key, $0.value] }
            s.appDbQueryBuckets = buckets.isEmpty ? nil : buckets
            s.appDbQueryMs = Self.percentiles(buckets, [50, 95, 99])
            let hooks = t.webhooks
            if hooks > 0 {
                s.appWebhookItems = hooks
                // Per minute of the time webhooks were flowing, not of the whole run.
                let active = rows.filter { ($0.appWebhooksPerS ?? 0) > 0 }.count
                s.appWebhooksPerMinute = hooks / Double(max(active, 1)) * 60
            }
            var delta: [String: Double] = [:], end: [String: Double] = [:]
            // Start to end of one process only: after a restart, the two ends belong to two processes.
            if let x = a.app, let y = b.app, !t.appRestarted {
                for k in ["allocated", "active", "resident"] {
                    if let e = y["campaignd_jemalloc_\(k)_bytes"], let st = x["campaignd_jemalloc_\(k)_bytes"] { delta[k] = e - st; end[k] = e }
                }
            }
            s.jemallocDeltaBytes = delta.isEmpty ? nil : delta
            s.jemallocEndBytes = end.isEmpty ? nil : end
        }
        return s
    }
}

/// The services' counters summed sample to sample over a run, each against the last sample that had it: a
/// server down for a while (a fault) leaves a gap, not a hole, and one restarted counts from zero again.
struct ServiceTotals {
    private var lastPG: (time: Date, values: [Double])?
    private var lastRedis: [String: String]?
    private var lastApp: [String: Double]?
    var pgSeconds = 0.0, commits = 0.0, blocksHit = 0.0, blocksRead = 0.0
    var redisSeen = false, redisHits = 0.0, redisMisses = 0.0
    var appSeen = false, appRestarted = false, appHits = 0.0, appLookups = 0.0, webhooks = 0.0
    /// campaignd's statement-latency histogram: cumulative count per bucket bound (s).
    var dbBuckets: [Double: Double] = [:]

    mutating func add(_ s: ServiceSampler.Sample) {
        if let q = s.pg, q.count == 5 {
            if let p = lastPG {
                pgSeconds += s.time.timeIntervalSince(p.time)
                commits += ServiceSampler.increase(p.values[0], q[0])
                blocksHit += ServiceSampler.increase(p.values[1], q[1])
                blocksRead += ServiceSampler.increase(p.values[2], q[2])
            }
            lastPG = (s.time, q)
        }
        if let y = s.redis {
            if let x = lastRedis {
                let (h, m) = ServiceSampler.redisHitsAndMisses(x, y)
                redisHits += h
                redisMisses += m
                redisSeen = true
            }
            lastRedis = y
        }
        if let y = s.app {
            if let x = lastApp {
                let requests = "campaignd_http_requests_total"
                if PrometheusText.sum(y, requests) < PrometheusText.sum(x, requests) { appRestarted = true }
                let (h, n) = ServiceSampler.appCache(x, y)
                appHits += h
                appLookups += n
                for b in ServiceSampler.buckets(x, y, "campaignd_db_query_duration_seconds") { dbBuckets[b[0], default: 0] += b[1] }
                webhooks += ServiceSampler.increase(PrometheusText.sum(x, "campaignd_webhook_items_processed_total"),
                                                    PrometheusText.sum(y, "campaignd_webhook_items_processed_total"))
                appSeen = true
            }
            lastApp = y
        }
    }
}

extension ServiceSummary {
    /// The services over several trials: campaignd's cache hits and lookups and its statement-latency buckets
    /// add up exactly, so the KPIs they judge cover every trial; the other figures are the last trial's.
    public static func combined(_ parts: [ServiceSummary]) -> ServiceSummary? {
        guard var out = parts.last else { return nil }
        let hits = parts.compactMap(\.appCacheHits), lookups = parts.compactMap(\.appCacheLookups)
        if hits.count == parts.count, lookups.count == parts.count {
            out.appCacheHits = hits.reduce(0, +)
            out.appCacheLookups = lookups.reduce(0, +)
            out.appCacheHitRatio = ServiceSampler.ratio(out.appCacheHits!, out.appCacheLookups!)
        }
        let sets = parts.compactMap(\.appDbQueryBuckets)
        if sets.count == parts.count, let first = sets.first, sets.allSatisfy({ $0.map { $0[0] } == first.map { $0[0] } }) {
            let merged = first.indices.map { i in [first[i][0], sets.reduce(0) { $0 + $1[i][1] }] }
            out.appDbQueryBuckets = merged
            out.appDbQueryMs = ServiceSampler.percentiles(merged, [50, 95, 99])
        }
        return out
    }
}
