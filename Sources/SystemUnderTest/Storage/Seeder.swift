import Foundation

/// Synthetic data for benchmarks: tenants, users with bcrypt passwords, and contacts.
///
/// Users are `user<U>@tenant<T>.example` with one shared password, so a harness can log in as any of them.
public struct Seeder: Sendable {
    public struct Plan: Sendable {
        public var tenants = 2
        public var usersPerTenant = 5
        public var contacts = 1000
        public var password = "mailstorm-pass"
        /// bcrypt cost (pgcrypto gen_salt('bf', cost)); 4 is bcrypt's minimum.
        public var kdfCost = 6
        public init() {}
    }

    let db: Database
    public init(db: Database) { self.db = db }

    /// Creates what is missing (idempotent) and returns the users' emails.
    public func run(_ plan: Plan) async throws -> [String] {
        try await db.transaction { conn in
            _ = try conn.query("""
                INSERT INTO tenants (name) SELECT 'tenant' || g FROM generate_series(1, $1::int) g ON CONFLICT (name) DO NOTHING
                """, [String(plan.tenants)])
            _ = try conn.query("""
                INSERT INTO users (tenant_id, email, password_hash)
                SELECT t.id, 'user' || u || '@' || t.name || '.example', crypt($2, gen_salt('bf', $3::int))
                FROM tenants t CROSS JOIN generate_series(1, $1::int) u
                WHERE t.name ~ '^tenant[0-9]+$'
                ON CONFLICT (email) DO NOTHING
                """, [String(plan.usersPerTenant), plan.password, String(plan.kdfCost)])
            // Contacts spread over tenants round-robin; set-based in the server, no per-row round trips.
            _ = try conn.query("""
                INSERT INTO contacts (tenant_id, email, first_name, last_name, company, source, tags, custom_fields, created_at)
                SELECT t.id, 'contact' || g || '@example' || (g % 97) || '.com', 'First' || g, 'Last' || g,
                       'Company ' || (g % 500), (ARRAY['import','signup','api','event'])[1 + g % 4],
                       ARRAY['tag' || (g % 10)], jsonb_build_object('plan', (ARRAY['free','pro','team'])[1 + g % 3]),
                       now() - make_interval(days => g % 365)
                FROM generate_series(1, $1::int) g
                JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k, count(*) OVER () AS n FROM tenants) t ON t.k = g % t.n
                ON CONFLICT (tenant_id, email) DO NOTHING
                """, [String(plan.contacts)])
            try conn.execute("ANALYZE")
            return try conn.query("SELECT email FROM users ORDER BY id").rows.compactMap { $0[0] }
        }
    }
}
