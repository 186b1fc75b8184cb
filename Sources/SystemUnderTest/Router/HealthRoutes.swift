import CJemalloc
import Foundation
import Hummingbird

/// GET /health (readiness: the dependencies), GET /health/live (liveness: the process answers, nothing else),
/// GET /health/performance (seed 002) and GET /metrics (Prometheus).
struct HealthRoutes {
    let app: CampaignApp

    func add(to router: Router<CampaignContext>) {
        router.get("/health") { _, _ in
            let dbOK = (try? await app.db.query("SELECT 1")) != nil
            let body = ["status": dbOK ? "ok" : "degraded", "database": dbOK ? "up" : "down", "cache": app.cache.isAvailable ? "up" : "down"]
            return try JSON.response(body, status: dbOK ? .ok : .serviceUnavailable)
        }
        // A liveness probe must not fail when PostgreSQL does: restarting every pod would not bring it back.
        // It is also the framework's floor, the trivial route benchmarks compare the others with.
        router.get("/health/live") { _, _ in
            try JSON.response(["status": "ok"], status: .ok)
        }
        router.get("/health/performance") { _, _ in
            let report = await performance()
            return try JSON.response(report, status: report.status == "unhealthy" ? .serviceUnavailable : .ok)
        }
        router.get("/metrics") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: renderMetrics())))
        }
    }

    /// Seed 002's performance health check, judged by the thresholds of its "Critical Alerts" (since start).
    struct Performance: Encodable {
        var status: String
        var dbQueryP95Ms: Double
        var cacheHitRatio: Double?
        var errorRate: Double
        var requests: UInt64
        var webhookBacklog: Int?
        var dbPoolWaiting: Int
        var problems: [String]
        enum CodingKeys: String, CodingKey {
            case status, requests, problems
            case dbQueryP95Ms = "db_query_p95_ms", cacheHitRatio = "cache_hit_ratio", errorRate = "error_rate"
            case webhookBacklog = "webhook_backlog", dbPoolWaiting = "db_pool_waiting"
        }
    }

    func performance() async -> Performance {
        let p95 = app.db.queryTimes.upperBoundMillis(at: 95)
        let hits = app.l1.hits.load(ordering: .relaxed) + app.redis.hits.load(ordering: .relaxed)
        // Every Redis read follows an L1 miss, so L1's lookups are all the lookups.
        let lookups = app.l1.hits.load(ordering: .relaxed) + app.l1.misses.load(ordering: .relaxed)
        let ratio = lookups > 0 ? Double(hits) / Double(lookups) : nil
        let counts = app.metrics.counts.values
        let total = counts.reduce(0) { $0 + $1.values.reduce(0, +) }
        let errors = counts.reduce(0) { $0 + ($1[5] ?? 0) }
        let errorRate = total > 0 ? Double(errors) / Double(total) : 0
        let backlog = try? await app.events.webhookBacklog()
        var problems: [String] = []
        var status = "healthy"
        // Seed 002: SlowQueryDetected p95 > 1000 ms (warning), HighErrorRate > 5% (critical), cache hit rate < 60% (warning).
        if p95 > 1000 { problems.append("db query p95 \(p95) ms > 1000 ms"); status = "degraded" }
        if let ratio, ratio < 0.6 { problems.append("cache hit ratio \(String(format: "%.2f", ratio)) < 0.60"); status = "degraded" }
        if errorRate > 0.05 { problems.append("5xx error rate \(String(format: "%.3f", errorRate)) > 0.05"); status = "unhealthy" }
        if backlog == nil { problems.append("database unreachable"); status = "unhealthy" }
        return Performance(status: status, dbQueryP95Ms: p95, cacheHitRatio: ratio, errorRate: errorRate, requests: total,
                           webhookBacklog: backlog, dbPoolWaiting: app.db.usage.waiting, problems: problems)
    }

    func renderMetrics() -> String {
        let m = app.metrics
        let u = app.db.usage
        m.gauge("campaignd_db_pool_size", Double(u.size))
        m.gauge("campaignd_db_pool_busy", Double(u.busy))
        m.gauge("campaignd_db_pool_waiting", Double(u.waiting))
        for (level, hits, misses) in [("l1", app.l1.hits.load(ordering: .relaxed), app.l1.misses.load(ordering: .relaxed)),
                                      ("redis", app.redis.hits.load(ordering: .relaxed), app.redis.misses.load(ordering: .relaxed))] {
            m.counter("campaignd_cache_hits_total", total: hits, labels: [("level", level)])
            m.counter("campaignd_cache_misses_total", total: misses, labels: [("level", level)])
        }
        m.gauge("campaignd_cache_up", app.cache.isAvailable ? 1 : 0)
        m.gauge("campaignd_l1_entries", Double(app.l1.count))
        m.counter("campaignd_rate_limited_total", total: app.rateLimited.load())
        m.counter("campaignd_events_recorded_total", total: app.recorder.recorded.load(ordering: .relaxed))
        m.counter("campaignd_events_dropped_total", total: app.recorder.dropped.load(ordering: .relaxed))
        m.counter("campaignd_webhook_items_processed_total", total: app.webhooks.processed.load(ordering: .relaxed))
        if let snd = app.sender {
            for (result, t) in [("sent", snd.sent), ("bounced", snd.bounced), ("failed", snd.failed), ("retried", snd.retried)] {
                m.counter("campaignd_emails_total", total: t.load(), labels: [("result", result)])
            }
            m.counter("campaignd_outbox_resolved_total", total: snd.resolved.load())
            m.gauge("campaignd_sender_breaker_open", snd.breakerState == .closed ? 0 : 1)
            m.counter("campaignd_sender_breaker_openings_total", total: UInt64(snd.breakerOpenings))
        }
        for stat in ["allocated", "active", "resident"] {
            m.gauge("campaignd_jemalloc_\(stat)_bytes", Double(cjemalloc_stat("stats.\(stat)")))
        }
        return m.render()
    }
}
