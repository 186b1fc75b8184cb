import Hummingbird

/// GET /api/stats: the tenant's dashboard numbers, from the 30 s cache when present.
struct StatsRoutes {
    let stats: StatsService

    func add(to group: RouterGroup<CampaignContext>) {
        group.get("/stats") { _, context in
            let s = try context.requireSession()
            let (json, hit) = try await stats.json(tenant: s.tenantID, timing: context.timing)
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            headers[.init("X-Cache")!] = hit ? "HIT" : "MISS"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: json)))
        }
    }
}
