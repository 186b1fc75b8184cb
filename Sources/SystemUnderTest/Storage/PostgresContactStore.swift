import Foundation

/// `ContactStore` on PostgreSQL: COPY for imports, one round trip per search page or count.
public struct PostgresContactStore: ContactStore {
    public let db: Database

    public init(db: Database) { self.db = db }

    /// The rows' email trigrams are not indexed here: `ContactSearchIndexer` does that after the import.
    public func importContacts(chunks: ChunkQueue<ImportChunk>) async throws -> Int {
        // One transaction for all chunks: a bad row anywhere loads nothing.
        try await db.transaction { conn in
            func copy(_ chunk: ImportChunk, into table: String) throws -> Int {
                do {
                    return try conn.copy("COPY \(table) (\(ImportChunk.columns)) FROM STDIN", bytes: chunk.copyText)
                } catch let e as DatabaseError where e.sqlState == "22P02" || e.sqlState == "22P05" {
                    throw ImportError(field: "custom_fields", "is not valid JSON: \(e.message.split(separator: "\n").first ?? "")")
                }
            }
            var inserted = 0, plan = ImportPlan(), staged = false
            while let chunk = try chunks.pop() {
                if plan.next() == .copyInSavepoint {
                    try conn.execute("SAVEPOINT chunk")
                    do {
                        inserted += try copy(chunk, into: "contacts")
                        try conn.execute("RELEASE SAVEPOINT chunk")
                        continue
                    } catch let e as DatabaseError where e.isUniqueViolation {
                        try conn.execute("ROLLBACK TO SAVEPOINT chunk")
                        plan.metDuplicate()
                    }
                }
                if !staged {
                    try conn.execute("""
                        CREATE TEMP TABLE IF NOT EXISTS import_stage (tenant_id bigint, email text, first_name text, last_name text,
                            company text, source text, tags text[], custom_fields jsonb) ON COMMIT DELETE ROWS
                        """)
                    staged = true
                }
                _ = try copy(chunk, into: "import_stage")
                inserted += try conn.query("""
                    INSERT INTO contacts (\(ImportChunk.columns)) SELECT \(ImportChunk.columns) FROM import_stage
                    ON CONFLICT (tenant_id, email) DO NOTHING
                    """).affectedRows
                try conn.execute("TRUNCATE import_stage")
            }
            return inserted
        }
    }

    /// Contacts a substring search first walks in id order; beyond them, it goes through the indexes.
    static let searchWindow = 5_000

    public func searchContacts(tenant: Int64, rule: SegmentRule, after: Int64, limit: Int) async throws -> (json: String, lastID: Int64?, count: Int) {
        let windowed = rule.requiresEmailSubstring
        let sql = SegmentSQL(rule, firstParam: windowed ? 5 : 4)
        let page = "SELECT \(Self.pageColumns) FROM contacts WHERE"
        // Other filters have estimates PostgreSQL can plan by. For an email substring its estimate is a guess, and
        // the plan flipped between 11 ms (trigram index) and 61 ms (walking id order) with each ANALYZE. So both,
        // bounded: walk the next 5,000 contacts, where a common match fills the page; only for a page still short,
        // fetch by id the candidates the trigram index gives (`contact_search`), cheap exactly when matches are
        // rare, with the contacts not yet indexed read from contacts (`+ 0` keeps the planner off the walk). The
        // Limit over the Append never starts the second part when the first filled the page, nor does its
        // one-time filter when the walk reached the last contact (a small tenant). The watermark's always-true upper
        // bound is for the planner: an unknown lower bound alone counts as a third of the tenant, and that tail
        // (usually empty) was planned as a parallel scan whose 2 workers started on every search; as a range with
        // an unknown end it counts as 0.5%. On 2M contacts `email=kwame.okafor1999` took 41 ms with the workers, 19-28 without.
        let rows = if windowed, let candidates = sql.emailCandidates { """
            WITH w AS MATERIALIZED (SELECT (SELECT id FROM contacts WHERE tenant_id = $1 AND id > $2 ORDER BY id OFFSET $4 LIMIT 1) AS last)
            SELECT * FROM (
                (\(page) tenant_id = $1 AND id > $2 AND id <= coalesce((SELECT last FROM w), \(Int64.max)) AND \(sql.predicate)
                 ORDER BY id LIMIT $3)
                UNION ALL
                (\(page) (SELECT last FROM w) IS NOT NULL AND tenant_id + 0 = $1 AND id > (SELECT last FROM w) AND id = ANY(ARRAY(
                    \(candidates)
                    UNION ALL
                    SELECT id FROM contacts WHERE tenant_id = $1 AND id > (SELECT upto FROM contact_search_progress)
                        AND id < \(Int64.max) AND \(sql.predicate)))
                 AND \(sql.predicate) ORDER BY id LIMIT $3)
            ) page LIMIT $3
            """ } else { "\(page) tenant_id = $1 AND id > $2 AND \(sql.predicate) ORDER BY id LIMIT $3" }
        // The JSON is rendered by PostgreSQL: one text value crosses libpq instead of ten per contact.
        let r = try await db.query("SELECT coalesce(json_agg(c ORDER BY c.id), '[]'), max(c.id), count(*) FROM (\(rows)) c",
                                   [String(tenant), String(after), String(limit)] + (windowed ? [String(Self.searchWindow - 1)] : []) + sql.params)
        let row = r.rows[0]
        return (row[0] ?? "[]", row[1].flatMap(Int64.init), row[2].flatMap(Int.init) ?? 0)
    }

    static let pageColumns = """
        id, email, first_name, last_name, company, source, status, tags, custom_fields,
        to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS created_at
        """

    public func countContacts(tenant: Int64, rule: SegmentRule) async throws -> Int {
        let sql = SegmentSQL(rule, firstParam: 2)
        let r = try await db.query("SELECT count(*) FROM contacts WHERE tenant_id = $1 AND \(sql.predicate)", [String(tenant)] + sql.params)
        return r.rows[0][0].flatMap(Int.init) ?? 0
    }

    static let segmentColumns = "id, name, conditions::text, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

    static func segment(_ r: [String?]) -> Segment {
        Segment(id: r[0].flatMap(Int64.init) ?? 0, name: r[1] ?? "", conditions: r[2] ?? "{}", createdAt: r[3] ?? "")
    }

    public func createSegment(tenant: Int64, name: String, conditions: String) async throws -> Segment {
        let r = try await db.query("INSERT INTO segments (tenant_id, name, conditions) VALUES ($1, $2, $3::jsonb) RETURNING \(Self.segmentColumns)",
                                   [String(tenant), name, conditions])
        return Self.segment(r.rows[0])
    }

    public func segment(tenant: Int64, id: Int64) async throws -> Segment? {
        try await db.query("SELECT \(Self.segmentColumns) FROM segments WHERE id = $1 AND tenant_id = $2", [String(id), String(tenant)])
            .rows.first.map(Self.segment)
    }

    public func listSegments(tenant: Int64) async throws -> [Segment] {
        try await db.query("SELECT \(Self.segmentColumns) FROM segments WHERE tenant_id = $1 ORDER BY id DESC LIMIT 200", [String(tenant)])
            .rows.map(Self.segment)
    }
}
