import Foundation

/// `CampaignStore` on PostgreSQL. Every statement is parameterised and prepared once per connection.
public struct PostgresCampaignStore: CampaignStore {
    public let db: Database

    public init(db: Database) { self.db = db }

    public func authenticate(email: String, password: String) async throws -> Session? {
        // bcrypt through pgcrypto: the slow KDF runs in the database, on a pool thread, never on an event loop. An
        // unknown email is checked against a dummy hash of the same cost, so the time says nothing about who exists.
        let r = try await db.query("""
            SELECT u.id, u.tenant_id, u.password_hash = x.h
            FROM (SELECT crypt($2, coalesce((SELECT password_hash FROM users WHERE email = $1),
                                            (SELECT value FROM server_secrets WHERE name = 'login_dummy'))) AS h) x
            LEFT JOIN users u ON u.email = $1
            """, [email, password])
        guard let row = r.rows.first, row[2] == "t", let u = row[0].flatMap(Int64.init), let t = row[1].flatMap(Int64.init) else { return nil }
        return Session(userID: u, tenantID: t)
    }

    public func saveSession(key: String, _ s: Session, ttl: Int) async throws {
        _ = try await db.query(
            "INSERT INTO sessions (token, user_id, tenant_id, expires_at) VALUES ($1, $2, $3, now() + make_interval(secs => $4))",
            [key, String(s.userID), String(s.tenantID), String(ttl)])
    }

    public func session(key: String) async throws -> (session: Session, ttl: Int)? {
        let r = try await db.query("""
            SELECT user_id, tenant_id, ceil(extract(epoch FROM expires_at - now()))::int FROM sessions WHERE token = $1 AND expires_at > now()
            """, [key])
        guard let row = r.rows.first, let u = row[0].flatMap(Int64.init), let t = row[1].flatMap(Int64.init),
              let ttl = row[2].flatMap(Int.init) else { return nil }
        return (Session(userID: u, tenantID: t), max(ttl, 1))
    }

    public func deleteSession(key: String) async throws {
        _ = try await db.query("DELETE FROM sessions WHERE token = $1", [key])
    }

    public func purgeSessions(limit: Int) async throws -> Int {
        let r = try await db.query("""
            WITH gone AS (DELETE FROM sessions WHERE token IN (SELECT token FROM sessions WHERE expires_at <= now() LIMIT $1) RETURNING 1)
            SELECT count(*) FROM gone
            """, [String(limit)])
        return r.rows.first?[0].flatMap(Int.init) ?? 0
    }

    public func secret(_ name: String) async throws -> String? {
        try await db.query("SELECT value FROM server_secrets WHERE name = $1", [name]).rows.first?[0] ?? nil
    }

    /// A tenant's campaigns, newest first: $1 tenant, $2 limit, and for a later page $3, the last id seen. Once
    /// PostgreSQL has statistics on campaigns, a page reads about `limit` rows (idx_campaigns_tenant_id, migration 13);
    /// before (a table that filled within autovacuum's last minute), it may sort all of the tenant's. The seeder's
    /// history and ANALYZE give a fresh stack those statistics (Seeder.historySQL).
    static let listSelect = """
        SELECT id, name, subject, status, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
        FROM campaigns WHERE tenant_id = $1
        """
    public static let listSQL = listSelect + " ORDER BY id DESC LIMIT $2"
    public static let listBeforeSQL = listSelect + " AND id < $3 ORDER BY id DESC LIMIT $2"

    public func listCampaigns(tenant: Int64, limit: Int, before: Int64?) async throws -> [Campaign] {
        let r = if let before {
            try await db.query(Self.listBeforeSQL, [String(tenant), String(limit), String(before)])
        } else {
            try await db.query(Self.listSQL, [String(tenant), String(limit)])
        }
        return r.rows.map(Self.campaign)
    }

    public func createCampaign(tenant: Int64, owner: Int64, _ c: NewCampaign) async throws -> Campaign {
        let r = try await db.query("""
            INSERT INTO campaigns (tenant_id, owner_id, name, subject, template) VALUES ($1, $2, $3, $4, $5)
            RETURNING id, name, subject, status, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
            """, [String(tenant), String(owner), c.name, c.subject, c.template])
        return Self.campaign(r.rows[0])
    }

    public func dashboardStats(tenant: Int64) async throws -> DashboardStats {
        // O(1): triggers keep the counters (migrations 3 and 8) in shards, summed here; nothing is counted.
        let r = try await db.query("SELECT name, sum(n) FROM tenant_counters WHERE tenant_id = $1 GROUP BY name", [String(tenant)])
        var by: [String: Int] = [:]
        var contacts = 0
        for row in r.rows {
            let n = row[1].flatMap(Int.init) ?? 0
            if row[0] == "contacts" { contacts = n } else if let s = row[0], s.hasPrefix("campaigns:"), n != 0 { by[String(s.dropFirst(10))] = n }
        }
        return DashboardStats(campaigns: by.values.reduce(0, +), campaignsByStatus: by, contacts: contacts,
                              generatedAt: Timestamps.string(Date()))
    }

    static let detailColumns = """
        id, name, subject, template, status, segment_id, recipients,
        to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        to_char(send_started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), failure
        """

    static func detail(_ r: [String?]) -> CampaignDetail {
        CampaignDetail(id: r[0].flatMap(Int64.init) ?? 0, name: r[1] ?? "", subject: r[2] ?? "", template: r[3] ?? "",
                       status: r[4] ?? "", segmentID: r[5].flatMap(Int64.init), recipients: r[6].flatMap(Int.init) ?? 0,
                       createdAt: r[7] ?? "", updatedAt: r[8] ?? "", sendStartedAt: r[9], failure: r[10])
    }

    public func campaign(tenant: Int64, id: Int64) async throws -> CampaignDetail? {
        let r = try await db.query("SELECT \(Self.detailColumns) FROM campaigns WHERE id = $1 AND tenant_id = $2", [String(id), String(tenant)])
        return r.rows.first.map(Self.detail)
    }

    /// Why an UPDATE guarded by status matched no row: the campaign is missing, or in another status.
    func miss<T>(tenant: Int64, id: Int64) async throws -> CampaignOutcome<T> {
        guard let c = try await campaign(tenant: tenant, id: id) else { return .notFound }
        return .conflict(c.status)
    }

    public func updateCampaign(tenant: Int64, id: Int64, _ c: CampaignChanges) async throws -> CampaignOutcome<CampaignDetail> {
        let r = try await db.query("""
            UPDATE campaigns SET name = coalesce($3, name), subject = coalesce($4, subject), template = coalesce($5, template),
                segment_id = CASE WHEN $7::boolean THEN NULL ELSE coalesce($6::bigint, segment_id) END, updated_at = now()
            WHERE id = $1 AND tenant_id = $2 AND status IN ('draft', 'scheduled', 'paused')
              AND ($6::bigint IS NULL OR EXISTS (SELECT 1 FROM segments WHERE id = $6::bigint AND tenant_id = $2))
            RETURNING \(Self.detailColumns)
            """, [String(id), String(tenant), c.name, c.subject, c.template, c.segmentID.map(String.init), c.clearSegment ? "true" : "false"])
        if let row = r.rows.first { return .done(Self.detail(row)) }
        return try await miss(tenant: tenant, id: id)
    }

    public func deleteCampaign(tenant: Int64, id: Int64) async throws -> CampaignOutcome<Void> {
        let r = try await db.query("DELETE FROM campaigns WHERE id = $1 AND tenant_id = $2 AND send_started_at IS NULL", [String(id), String(tenant)])
        return r.affectedRows == 1 ? .done(()) : try await miss(tenant: tenant, id: id)
    }

    public func transition(tenant: Int64, id: Int64, from: [String], to: String) async throws -> CampaignOutcome<CampaignDetail> {
        let r = try await db.query("""
            UPDATE campaigns SET status = $4, updated_at = now(),
                send_started_at = CASE WHEN $4 = 'sending' THEN coalesce(send_started_at, now()) ELSE send_started_at END
            WHERE id = $1 AND tenant_id = $2 AND status = ANY($3::text[])
            RETURNING \(Self.detailColumns)
            """, [String(id), String(tenant), CopyText.arrayLiteral(from), to])
        if let row = r.rows.first { return .done(Self.detail(row)) }
        return try await miss(tenant: tenant, id: id)
    }

    public func campaignStats(tenant: Int64, id: Int64) async throws -> CampaignStats? {
        guard let c = try await campaign(tenant: tenant, id: id) else { return nil }
        // One pass over the campaign's rows, grouped by the hour each was sent (NULL: not sent); the totals are the
        // groups' sums. Two passes, with the hour formatted per row, took PostgreSQL 0.85-0.9 s for a 1M campaign
        // (pg_stat_statements); this takes 221 against 556 ms on a scratch copy.
        let groups = try await db.query("""
            SELECT to_char(h AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:00:00"Z"'), n, queued, sent, bounced, failed, delivered, opened, clicked
            FROM (SELECT date_trunc('hour', sent_at) AS h, count(*) AS n, count(*) FILTER (WHERE status = 'queued') AS queued,
                         count(*) FILTER (WHERE status = 'sent') AS sent, count(*) FILTER (WHERE status = 'bounced') AS bounced,
                         count(*) FILTER (WHERE status = 'failed') AS failed, count(delivered_at) AS delivered,
                         count(opened_at) AS opened, count(clicked_at) AS clicked
                  FROM email_sends WHERE campaign_id = $1 GROUP BY 1) g
            ORDER BY h
            """, [String(id)]).rows.map { r in (hour: r[0], n: StatCounts(r.dropFirst().map { $0.flatMap(Int.init) ?? 0 })) }
        // Seed 001 getEmailPerformanceOptimized: per hour of sending.
        let hours = groups.compactMap { g in
            g.hour.map { CampaignStats.Hour(hour: $0, sent: g.n.rows, bounced: g.n.bounced, opened: g.n.opened, clicked: g.n.clicked) }
        }
        let sum = { (k: KeyPath<StatCounts, Int>) in groups.reduce(0) { $0 + $1.n[keyPath: k] } }
        return CampaignStats(campaignID: id, status: c.status, recipients: c.recipients, queued: sum(\.queued), sent: sum(\.sent),
                             bounced: sum(\.bounced), failed: sum(\.failed), delivered: sum(\.delivered), opened: sum(\.opened),
                             clicked: sum(\.clicked), hourly: hours)
    }

    /// One group's counts, in the stats query's column order after the hour.
    struct StatCounts {
        let rows, queued, sent, bounced, failed, delivered, opened, clicked: Int
        init(_ c: [Int]) { (rows, queued, sent, bounced, failed, delivered, opened, clicked) = (c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]) }
    }

    static func campaign(_ row: [String?]) -> Campaign {
        Campaign(id: row[0].flatMap(Int64.init) ?? 0, name: row[1] ?? "", subject: row[2] ?? "", status: row[3] ?? "", createdAt: row[4] ?? "")
    }
}
