/// Versioned schema migrations, applied in order at start under an advisory lock.
///
/// Indexes follow seeds 000 and 004 where they serve a query campaignd runs. Migrations that may run on a
/// live database build indexes CONCURRENTLY, which PostgreSQL forbids inside a transaction, so those run alone.
public enum Migrations {
    public struct Migration: Sendable {
        public let version: Int
        public let name: String
        public let sql: String
        /// Runs outside a transaction (CREATE INDEX CONCURRENTLY).
        public let concurrently: Bool
    }

    public static let all: [Migration] = [
        Migration(version: 1, name: "core tables", sql: """
            CREATE EXTENSION IF NOT EXISTS pgcrypto;
            CREATE TABLE tenants (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                name text NOT NULL UNIQUE,
                created_at timestamptz NOT NULL DEFAULT now()
            );
            CREATE TABLE users (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                tenant_id bigint NOT NULL REFERENCES tenants(id),
                email text NOT NULL UNIQUE,
                password_hash text NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now()
            );
            CREATE TABLE sessions (
                token text PRIMARY KEY,
                user_id bigint NOT NULL REFERENCES users(id),
                tenant_id bigint NOT NULL,
                expires_at timestamptz NOT NULL
            );
            CREATE TABLE contacts (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                tenant_id bigint NOT NULL REFERENCES tenants(id),
                email text NOT NULL,
                first_name text,
                last_name text,
                company text,
                source text,
                status text NOT NULL DEFAULT 'active',
                tags text[] NOT NULL DEFAULT '{}',
                custom_fields jsonb NOT NULL DEFAULT '{}',
                created_at timestamptz NOT NULL DEFAULT now(),
                UNIQUE (tenant_id, email)
            );
            CREATE TABLE segments (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                tenant_id bigint NOT NULL REFERENCES tenants(id),
                name text NOT NULL,
                conditions jsonb NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now()
            );
            CREATE TABLE campaigns (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                tenant_id bigint NOT NULL REFERENCES tenants(id),
                owner_id bigint NOT NULL REFERENCES users(id),
                name text NOT NULL,
                subject text NOT NULL,
                template text NOT NULL DEFAULT '',
                status text NOT NULL DEFAULT 'draft'
                    CHECK (status IN ('draft', 'scheduled', 'sending', 'sent', 'paused')),
                segment_id bigint REFERENCES segments(id),
                created_at timestamptz NOT NULL DEFAULT now(),
                updated_at timestamptz NOT NULL DEFAULT now()
            );
            """, concurrently: false),
        // Seed 000 "Campaign Performance Indexes": (tenant_id, status) and created_at DESC, here combined with
        // the tenant because every list query is tenant-scoped; seed 004 idx_leads_workspace_created_at likewise.
        Migration(version: 2, name: "campaign indexes", sql: """
            CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_campaigns_status_tenant ON campaigns (tenant_id, status);
            CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_campaigns_tenant_created ON campaigns (tenant_id, created_at DESC, id DESC);
            CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_campaigns_owner_status ON campaigns (owner_id, status);
            CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_contacts_tenant_created ON contacts (tenant_id, created_at DESC);
            CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_sessions_expires ON sessions (expires_at);
            """, concurrently: true),
    ]
}

extension Database {
    /// Applies every migration not yet recorded in schema_migrations; safe when several instances start at once.
    public func migrate() async throws -> [Int] {
        try await withConnection { conn in
            try conn.execute("SELECT pg_advisory_lock(727274)")
            defer { try? conn.execute("SELECT pg_advisory_unlock(727274)") }
            try conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())")
            let done = Set(try conn.query("SELECT version FROM schema_migrations").rows.compactMap { $0[0].flatMap(Int.init) })
            var applied: [Int] = []
            for m in Migrations.all where !done.contains(m.version) {
                if m.concurrently {
                    // One statement at a time: CONCURRENTLY cannot run in the implicit transaction of a multi-statement string.
                    for stmt in m.sql.split(separator: ";").map({ $0.trimmingCharacters(in: .whitespacesAndNewlines) }) where !stmt.isEmpty {
                        try conn.execute(stmt)
                    }
                    _ = try conn.query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", [String(m.version), m.name])
                } else {
                    try conn.execute("BEGIN")
                    do {
                        try conn.execute(m.sql)
                        _ = try conn.query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", [String(m.version), m.name])
                        try conn.execute("COMMIT")
                    } catch {
                        try? conn.execute("ROLLBACK")
                        throw error
                    }
                }
                applied.append(m.version)
            }
            return applied
        }
    }
}
