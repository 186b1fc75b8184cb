import Foundation

/// Keeps `contact_search`, which holds the email trigram index, up with `contacts` in the background, so an
/// insert never pays for its rows' trigrams. Searches read the contacts beyond `contact_search_progress.upto`
/// from contacts itself (`PostgresContactStore.searchContacts`), so a new contact is found at once either way.
public struct ContactSearchIndexer: Sendable {
    public let db: Database
    /// Contacts indexed per transaction in the background: small, so that an insert that starts meanwhile (which
    /// the next step sees) soon has the cores to itself.
    public static let batch = 10_000
    /// The advisory lock every insert into contacts holds shared until it ends (migration 10's statement trigger).
    public static let insertLock = 727275
    static let index = "idx_contact_search_email_trgm"

    public init(db: Database) { self.db = db }

    /// The highest contact id, when every id up to it is final; nil while an insert is in flight. Ids are handed
    /// out when rows are inserted, not when they commit, so an insert in flight may still commit a lower id than
    /// the highest visible. With no insert holding the lock, later inserts can only get higher ids.
    func finalID() async throws -> Int64? {
        try await db.transaction { conn -> Int64? in
            guard try conn.query("SELECT pg_try_advisory_xact_lock(\(Self.insertLock))").rows.first?[0] == "t" else { return nil }
            return try conn.query("SELECT coalesce(max(id), 0) FROM contacts").rows.first?[0].flatMap(Int64.init)
        }
    }

    /// Indexes up to `batch` contacts beyond the watermark and returns how many; nil while an insert is in flight.
    public func step() async throws -> Int? {
        guard let final = try await finalID() else { return nil }
        // The progress row's lock makes concurrent indexers (several campaignd) take turns.
        let n = try await db.query("""
            WITH w AS (SELECT upto FROM contact_search_progress FOR UPDATE),
            batch AS (SELECT id, tenant_id, email FROM contacts WHERE id > (SELECT upto FROM w) AND id <= $1 ORDER BY id LIMIT $2),
            added AS (INSERT INTO contact_search SELECT * FROM batch ON CONFLICT (id) DO NOTHING)
            UPDATE contact_search_progress SET upto = CASE WHEN (SELECT count(*) FROM batch) < $2 THEN $1 ELSE (SELECT max(id) FROM batch) END
            WHERE upto < $1  -- nothing new: no write every half second
            RETURNING (SELECT count(*) FROM batch)
            """, [String(final), String(Self.batch)]).rows.first?[0].flatMap(Int.init) ?? 0
        // The rows went to the index's pending list, which every search reads through until it is merged.
        if n > 0 { _ = try await db.query("SELECT gin_clean_pending_list('\(Self.index)'::regclass)") }
        return n
    }

    /// Indexes everything, waiting out inserts in flight (the seeder, after loading). When more contacts wait than
    /// are indexed, the trigram index is built afresh from its own definition, in one transaction: for 2M new
    /// contacts that took 13.7 s here against 20.2 s merging their entries. Searches wait for it meanwhile.
    public func catchUp() async throws {
        var final = try await finalID()
        while final == nil {
            try await Task.sleep(for: .milliseconds(50))
            final = try await finalID()
        }
        try await db.transaction { [final] conn in
            // The table before the progress row, in the order a step's statement takes them; the other order
            // deadlocked with a step that started meanwhile (40P01, a seed failed).
            try conn.execute("LOCK TABLE contact_search IN ACCESS EXCLUSIVE MODE")
            let r = try conn.query("SELECT (SELECT upto FROM contact_search_progress FOR UPDATE), (SELECT count(*) FROM contact_search)").rows[0]
            let upto = r[0].flatMap(Int64.init) ?? 0, indexed = r[1].flatMap(Int64.init) ?? 0
            guard let final, final - upto > indexed, let definition = try conn.query("SELECT pg_get_indexdef('\(Self.index)'::regclass)").rows.first?[0] else { return }
            try conn.execute("SET LOCAL maintenance_work_mem = '256MB'")
            try conn.execute("DROP INDEX \(Self.index)")
            _ = try conn.query("INSERT INTO contact_search SELECT id, tenant_id, email FROM contacts WHERE id > $1 AND id <= $2 ON CONFLICT (id) DO NOTHING",
                               [String(upto), String(final)])
            try conn.execute(definition)
            _ = try conn.query("UPDATE contact_search_progress SET upto = $1", [String(final)])
        }
        while true {
            switch try await step() {
            case nil: try await Task.sleep(for: .milliseconds(50))
            case let n? where n < Self.batch: return
            default: continue
            }
        }
    }

    /// Indexes whatever is new twice a second, until cancelled.
    public func run() async {
        while !Task.isCancelled {
            while let n = try? await step(), n == Self.batch, !Task.isCancelled {}
            try? await Task.sleep(for: .milliseconds(500))
        }
    }
}
