import Foundation

/// An open or a click, to be recorded against the message it came from.
public struct TrackingEvent: Sendable, Equatable {
    public enum Kind: String, Sendable { case open, click }
    public var message: MessageIdentity
    public var kind: Kind
    public var url: String?
    public var at: Date
}

/// One provider webhook item, validated: what happened to which message, and when.
public struct ProviderEvent: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable, CaseIterable { case delivered, bounced, opened, clicked }
    public var e: Kind
    public var c: Int64
    public var k: Int64
    /// ISO 8601.
    public var t: String
    public var u: String?
}

/// The engagement seam: tracked links, recorded events and the provider-webhook queue.
public protocol EventStore: Sendable {
    /// The URL behind a campaign's n-th tracked link.
    func linkURL(campaign: Int64, index: Int) async throws -> String?
    /// Records events whose message exists; returns how many were kept.
    func record(_ events: [TrackingEvent]) async throws -> Int
    /// Queues a webhook delivery for asynchronous processing (seed 002's webhook queue).
    func enqueueWebhook(_ events: [ProviderEvent], priority: Int) async throws
    /// Applies up to `limit` queued deliveries; returns the number of items applied.
    func processWebhooks(limit: Int) async throws -> Int
    /// Deliveries waiting.
    func webhookBacklog() async throws -> Int
}

/// `EventStore` on PostgreSQL. Batches are applied with set-based statements over `unnest` and
/// `jsonb_to_recordset`, one round trip per batch however many events it holds.
public struct PostgresEventStore: EventStore {
    public let db: Database
    public init(db: Database) { self.db = db }

    public func linkURL(campaign: Int64, index: Int) async throws -> String? {
        try await db.query("SELECT url FROM campaign_links WHERE campaign_id = $1 AND idx = $2", [String(campaign), String(index)]).rows.first?[0] ?? nil
    }

    public func record(_ events: [TrackingEvent]) async throws -> Int {
        guard !events.isEmpty else { return 0 }
        let r = try await db.query("""
            WITH e AS (SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::timestamptz[])
                       AS e(campaign_id, contact_id, kind, url, at)),
            x AS (SELECT campaign_id AS c, contact_id AS k, min(at) FILTER (WHERE kind = 'open') opened,
                         min(at) FILTER (WHERE kind = 'click') clicked FROM e GROUP BY 1, 2),
            \(Self.lockedSends(of: "x")),
            s AS (UPDATE email_sends s SET opened_at = coalesce(s.opened_at, l.opened), clicked_at = coalesce(s.clicked_at, l.clicked)
                  \(Self.fromLocked)
                  RETURNING s.tenant_id, s.campaign_id, s.contact_id)
            INSERT INTO events (tenant_id, campaign_id, contact_id, kind, url, created_at)
            SELECT s.tenant_id, e.campaign_id, e.contact_id, e.kind, e.url, e.at FROM e JOIN s USING (campaign_id, contact_id)
            """, [
                "{" + events.map { String($0.message.campaign) }.joined(separator: ",") + "}",
                "{" + events.map { String($0.message.contact) }.joined(separator: ",") + "}",
                "{" + events.map(\.kind.rawValue).joined(separator: ",") + "}",
                Self.nullableArray(events.map(\.url)),
                CopyText.arrayLiteral(events.map { Timestamps.millis($0.at) }),
            ])
        return r.affectedRows
    }

    /// A text[] literal where nil is SQL NULL.
    static func nullableArray(_ items: [String?]) -> String {
        "{" + items.map { $0.map { CopyText.arrayLiteral([$0]).dropFirst().dropLast() }.map(String.init) ?? "NULL" }.joined(separator: ",") + "}"
    }

    public func enqueueWebhook(_ events: [ProviderEvent], priority: Int) async throws {
        let payload = String(decoding: try JSONEncoder().encode(events), as: UTF8.self)
        _ = try await db.query("INSERT INTO webhook_queue (priority, payload, items) VALUES ($1, $2::jsonb, $3)",
                               [String(priority), payload, String(events.count)])
    }

    public func processWebhooks(limit: Int) async throws -> Int {
        do {
            return try await db.query(Self.applyWebhooks, [String(limit), nil]).rows.first?[0].flatMap(Int.init) ?? 0
        } catch let e as DatabaseError where e.isPersistent {
            // One delivery the database rejects fails its whole batch, and would again on every retry. The oldest
            // is tried alone instead; if it fails alone, it is parked with its error and the queue moves on.
            return try await db.transaction { conn in
                guard let id = try conn.query("""
                    SELECT id FROM webhook_queue WHERE status = 'pending' ORDER BY priority, id LIMIT 1 FOR UPDATE SKIP LOCKED
                    """).rows.first?[0] ?? nil else { return 0 }
                try conn.execute("SAVEPOINT one")
                do {
                    return try conn.query(Self.applyWebhooks, ["1", id]).rows.first?[0].flatMap(Int.init) ?? 0
                } catch let e as DatabaseError where e.isPersistent {
                    try conn.execute("ROLLBACK TO SAVEPOINT one")
                    _ = try conn.query("UPDATE webhook_queue SET status = 'failed', error = $2, processed_at = now() WHERE id = $1", [id, e.message])
                    return 0
                }
            }
        }
    }

    /// The sends a statement updates, locked first in (campaign, contact) order, the order the sender locks a
    /// batch's rows in: two statements that each locked in their own join's order deadlocked, and the tracking
    /// batch that lost was dropped (40P01 twice in a 30 s `mailstorm run api` at 1,200 req/s). `keys` names each
    /// send by c (campaign) and k (contact); `locked` is its rows with each send's created_at.
    static func lockedSends(of keys: String) -> String {
        """
        locked AS MATERIALIZED (SELECT w.*, s.created_at FROM email_sends s JOIN \(keys) w ON s.campaign_id = w.c AND s.contact_id = w.k
                                ORDER BY w.c, w.k FOR UPDATE OF s)
        """
    }

    /// The update's source: the rows `locked` holds, as l, each matched to its send.
    static let fromLocked = "FROM locked l WHERE s.campaign_id = l.c AND s.contact_id = l.k AND s.created_at = l.created_at"

    // Claim with SKIP LOCKED (several instances share the queue; $2, when set, names the one delivery), fold each
    // message's items together, then update the sends, mark hard bounces on the contact, and record opens and
    // clicks, in one statement. Bounced contacts are locked in id order first (bc), as sends are: two instances'
    // batches that bounced the same contacts in their joins' orders could deadlock. Only messages campaignd sent count: a bounce for any other (campaign, contact)
    // touches no contact, whatever id it names.
    static let applyWebhooks = """
            WITH q AS (
                UPDATE webhook_queue SET status = 'done', processed_at = now()
                WHERE id IN (SELECT id FROM webhook_queue WHERE status = 'pending' AND ($2::bigint IS NULL OR id = $2::bigint)
                             ORDER BY priority, id LIMIT $1 FOR UPDATE SKIP LOCKED)
                RETURNING payload),
            x AS (SELECT r.* FROM q, jsonb_to_recordset(q.payload) AS r(e text, c bigint, k bigint, t timestamptz, u text)),
            agg AS (SELECT c, k, min(t) FILTER (WHERE e = 'delivered') delivered, min(t) FILTER (WHERE e = 'bounced') bounced,
                           min(t) FILTER (WHERE e = 'opened') opened, min(t) FILTER (WHERE e = 'clicked') clicked
                    FROM x GROUP BY c, k),
            \(lockedSends(of: "agg")),
            s AS (UPDATE email_sends s SET delivered_at = coalesce(s.delivered_at, l.delivered),
                         opened_at = coalesce(s.opened_at, l.opened), clicked_at = coalesce(s.clicked_at, l.clicked),
                         status = CASE WHEN l.bounced IS NOT NULL AND s.status = 'sent' THEN 'bounced' ELSE s.status END,
                         finished_at = CASE WHEN l.bounced IS NOT NULL AND s.status = 'sent' THEN l.bounced ELSE s.finished_at END
                  \(fromLocked)
                  RETURNING s.tenant_id, s.campaign_id, s.contact_id),
            bc AS MATERIALIZED (SELECT ct.id FROM contacts ct JOIN s ON ct.id = s.contact_id AND ct.tenant_id = s.tenant_id
                                JOIN agg ON s.campaign_id = agg.c AND s.contact_id = agg.k
                                WHERE agg.bounced IS NOT NULL AND ct.status = 'active' ORDER BY ct.id FOR UPDATE OF ct),
            b AS (UPDATE contacts ct SET status = 'bounced' FROM bc WHERE ct.id = bc.id AND ct.status = 'active'),
            ev AS (INSERT INTO events (tenant_id, campaign_id, contact_id, kind, url, created_at)
                   SELECT s.tenant_id, x.c, x.k, CASE x.e WHEN 'opened' THEN 'open' ELSE 'click' END, x.u, x.t
                   FROM x JOIN s ON s.campaign_id = x.c AND s.contact_id = x.k WHERE x.e IN ('opened', 'clicked'))
            SELECT count(*) FROM x
            """

    public func webhookBacklog() async throws -> Int {
        try await db.query("SELECT coalesce(sum(items), 0) FROM webhook_queue WHERE status = 'pending'").rows[0][0].flatMap(Int.init) ?? 0
    }
}
