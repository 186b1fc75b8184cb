import CJemalloc
import Hummingbird

/// GET /health (liveness and dependencies) and GET /metrics (Prometheus text format).
struct HealthRoutes {
    let db: Database
    let cache: RedisCache
    let metrics: HTTPMetrics

    func add(to router: Router<CampaignContext>) {
        router.get("/health") { _, _ in
            let dbOK = (try? await db.query("SELECT 1")) != nil
            let body = ["status": dbOK ? "ok" : "degraded", "database": dbOK ? "up" : "down", "cache": cache.isAvailable ? "up" : "down"]
            return try JSON.response(body, status: dbOK ? .ok : .serviceUnavailable)
        }
        router.get("/metrics") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: renderMetrics())))
        }
    }

    func renderMetrics() -> String {
        var out = "# TYPE campaignd_http_requests_total counter\n"
        for (route, byStatus) in metrics.counts.sorted(by: { $0.key < $1.key }) {
            for (cls, n) in byStatus.sorted(by: { $0.key < $1.key }) {
                out += "campaignd_http_requests_total{route=\"\(route)\",status=\"\(cls)xx\"} \(n)\n"
            }
        }
        out += "# TYPE campaignd_http_request_duration_seconds histogram\n"
        for (route, rec) in metrics.latencies.sorted(by: { $0.key < $1.key }) {
            out += Self.histogram("campaignd_http_request_duration_seconds", labels: "route=\"\(route)\"", rec)
        }
        out += "# TYPE campaignd_db_query_duration_seconds histogram\n"
        out += Self.histogram("campaignd_db_query_duration_seconds", labels: nil, db.queryTimes)
        let u = db.usage
        out += "campaignd_db_pool_size \(u.size)\ncampaignd_db_pool_busy \(u.busy)\ncampaignd_db_pool_waiting \(u.waiting)\n"
        out += "campaignd_cache_hits_total \(cache.hits.load(ordering: .relaxed))\n"
        out += "campaignd_cache_misses_total \(cache.misses.load(ordering: .relaxed))\n"
        out += "campaignd_cache_up \(cache.isAvailable ? 1 : 0)\n"
        for stat in ["allocated", "active", "resident"] {
            out += "campaignd_jemalloc_\(stat)_bytes \(cjemalloc_stat("stats.\(stat)"))\n"
        }
        return out
    }

    static func histogram(_ name: String, labels: String?, _ rec: LatencyRecorder) -> String {
        let counts = rec.counts
        var cum: UInt64 = 0
        var out = ""
        let l = labels.map { $0 + "," } ?? ""
        for (i, n) in counts.enumerated() {
            cum += n
            let le = Double(UInt64(1) << (i + 1)) / 1e6
            out += "\(name)_bucket{\(l)le=\"\(le)\"} \(cum)\n"
        }
        out += "\(name)_bucket{\(l)le=\"+Inf\"} \(cum)\n\(name)_count\(labels.map { "{\($0)}" } ?? "") \(cum)\n"
        return out
    }
}
