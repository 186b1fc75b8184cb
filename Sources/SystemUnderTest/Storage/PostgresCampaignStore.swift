import Foundation

/// `CampaignStore` on PostgreSQL. Every statement is parameterised and prepared once per connection.
public struct PostgresCampaignStore: CampaignStore {
    public let db: Database

    public init(db: Database) { self.db = db }

    public func authenticate(email: String, password: String) async throws -> Session? {
        // bcrypt through pgcrypto: the slow KDF runs in the database, on a pool thread, never on an event loop.
        let r = try await db.query(
            "SELECT id, tenant_id FROM users WHERE email = $1 AND password_hash = crypt($2, password_hash)", [email, password])
        guard let row = r.rows.first, let u = row[0].flatMap(Int64.init), let t = row[1].flatMap(Int64.init) else { return nil }
        return Session(userID: u, tenantID: t)
    }

    public func saveSession(token: String, _ s: Session, ttl: Int) async throws {
        _ = try await db.query(
            "INSERT INTO sessions (token, user_id, tenant_id, expires_at) VALUES ($1, $2, $3, now() + make_interval(secs => $4))",
            [token, String(s.userID), String(s.tenantID), String(ttl)])
    }

    public func session(token: String) async throws -> Session? {
        let r = try await db.query("SELECT user_id, tenant_id FROM sessions WHERE token = $1 AND expires_at > now()", [token])
        guard let row = r.rows.first, let u = row[0].flatMap(Int64.init), let t = row[1].flatMap(Int64.init) else { return nil }
        return Session(userID: u, tenantID: t)
    }

    public func deleteSession(token: String) async throws {
        _ = try await db.query("DELETE FROM sessions WHERE token = $1", [token])
    }

    public func listCampaigns(tenant: Int64, limit: Int, before: Int64?) async throws -> [Campaign] {
        let r: QueryResult
        if let before {
            r = try await db.query("""
                SELECT id, name, subject, status, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
                FROM campaigns WHERE tenant_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3
                """, [String(tenant), String(before), String(limit)])
        } else {
            r = try await db.query("""
                SELECT id, name, subject, status, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
                FROM campaigns WHERE tenant_id = $1 ORDER BY id DESC LIMIT $2
                """, [String(tenant), String(limit)])
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
        let r = try await db.query("""
            SELECT status, count(*) FROM campaigns WHERE tenant_id = $1 GROUP BY status
            UNION ALL SELECT '#contacts', count(*) FROM contacts WHERE tenant_id = $1
            """, [String(tenant)])
        var by: [String: Int] = [:]
        var contacts = 0
        for row in r.rows {
            let n = row[1].flatMap(Int.init) ?? 0
            if row[0] == "#contacts" { contacts = n } else if let s = row[0] { by[s] = n }
        }
        return DashboardStats(campaigns: by.values.reduce(0, +), campaignsByStatus: by, contacts: contacts,
                              generatedAt: ISO8601DateFormatter().string(from: Date()))
    }

    static func campaign(_ row: [String?]) -> Campaign {
        Campaign(id: row[0].flatMap(Int64.init) ?? 0, name: row[1] ?? "", subject: row[2] ?? "", status: row[3] ?? "", createdAt: row[4] ?? "")
    }
}
