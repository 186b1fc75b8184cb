import Foundation
import Testing
import Harness
import Environment
import SystemUnderTest

extension SharedMachine {
/// Every route of campaignd against the real PostgreSQL and Redis.
@Suite struct CampaignAPITests {
    @Test func campaignLifecycleAndCacheInvalidation() async throws {
        let stack = try Stack.up(Integration.stackOptions())
        defer { stack.down() }
        try Integration.seed(stack, contacts: 0)
        let api = try await APIClient.login(stack.endpoints.target)

        let before = try await api.call("GET", "/api/stats")
        #expect(before.status == 200 && before.header("X-Cache") == "MISS")
        #expect(try await api.call("GET", "/api/stats").header("X-Cache") == "HIT")

        let created = try await api.call("POST", "/api/campaigns", json: ["name": "Spring", "subject": "Hi", "template": "Hello {{first_name}}"])
        #expect(created.status == 201)
        let id = created.json["id"] as! Int
        // The create wrote new stats through to the cache: the count moves at once (not after the 30 s TTL),
        // and the read is still a hit.
        let after = try await api.call("GET", "/api/stats")
        #expect(after.header("X-Cache") == "HIT")
        #expect(after.json["campaigns"] as? Int == 1)

        let g1 = try await api.call("GET", "/api/campaigns/\(id)")
        #expect(g1.status == 200 && g1.header("X-Cache") == "MISS")
        #expect(try await api.call("GET", "/api/campaigns/\(id)").header("X-Cache") == "HIT")
        let patched = try await api.call("PATCH", "/api/campaigns/\(id)", json: ["subject": "Hello again"])
        #expect(patched.status == 200 && patched.json["subject"] as? String == "Hello again")
        let g2 = try await api.call("GET", "/api/campaigns/\(id)")
        #expect(g2.header("X-Cache") == "MISS" && g2.json["subject"] as? String == "Hello again")
        #expect(try await api.call("PATCH", "/api/campaigns/\(id)", json: ["name": ""]).json["field"] as? String == "name")
        #expect(try await api.call("PATCH", "/api/campaigns/\(id)", json: ["segment_id": 999]).json["field"] as? String == "segment_id")

        // Keyset pages: 3 more campaigns, pages of 2.
        for i in 0..<3 { _ = try await api.call("POST", "/api/campaigns", json: ["name": "c\(i)", "subject": "s"]) }
        let p1 = try await api.call("GET", "/api/campaigns?limit=2")
        let next = p1.json["next_before"] as! Int
        let p2 = try await api.call("GET", "/api/campaigns?limit=2&before=\(next)")
        let ids = ((p1.json["campaigns"] as! [[String: Any]]) + (p2.json["campaigns"] as! [[String: Any]])).map { $0["id"] as! Int }
        #expect(ids.count == 4 && Set(ids).count == 4 && ids == ids.sorted(by: >))
        #expect(try await api.call("GET", "/api/campaigns?limit=0").status == 400)

        // State machine: send, pause, resume; edits refused while sending.
        #expect(try await api.call("POST", "/api/campaigns/\(id)/pause").status == 409)
        let sent = try await api.call("POST", "/api/campaigns/\(id)/send")
        #expect(sent.status == 202 && sent.json["status"] as? String == "sending")
        let again = try await api.call("POST", "/api/campaigns/\(id)/send")
        #expect(again.status == 409 && again.json["field"] as? String == "status")
        #expect(try await api.call("PATCH", "/api/campaigns/\(id)", json: ["subject": "x"]).status == 409)
        #expect(try await api.call("DELETE", "/api/campaigns/\(id)").status == 409)
        let st = try await api.call("GET", "/api/campaigns/\(id)/stats")
        #expect(st.status == 200 && st.json["campaign_id"] as? Int == id && st.json["hourly"] is [Any])

        // A draft can be deleted; then it is gone.
        let draft = try await api.call("POST", "/api/campaigns", json: ["name": "tmp", "subject": "s"]).json["id"] as! Int
        #expect(try await api.call("DELETE", "/api/campaigns/\(draft)").status == 204)
        #expect(try await api.call("GET", "/api/campaigns/\(draft)").status == 404)
        #expect(try await api.call("GET", "/api/campaigns/abc").json["field"] as? String == "id")
        #expect(try await api.call("POST", "/api/campaigns", json: ["name": "x"]).json["field"] as? String == "subject")

        // Every response carries the seed-001 headers and the stage breakdown.
        #expect(g1.header("X-Request-ID") != nil && g1.header("X-Response-Time")?.hasSuffix("ms") == true)
        #expect(g1.header("Server-Timing")?.contains("db;dur=") == true)

        let perf = try await api.call("GET", "/health/performance")
        #expect(perf.status == 200 && perf.json["status"] as? String == "healthy")
        let metrics = try await api.call("GET", "/metrics").text
        #expect(metrics.contains("campaignd_http_request_duration_seconds_bucket{route=\"GET /api/campaigns/{id}\""))
        #expect(metrics.contains("campaignd_db_query_duration_seconds_count"))
        #expect(metrics.contains("campaignd_jemalloc_resident_bytes"))
        #expect(metrics.contains("campaignd_cache_hits_total{level=\"l1\"}"))
        #expect(try await api.call("POST", "/api/logout").status == 204)
        #expect(try await api.call("GET", "/api/campaigns").status == 401)
    }

    /// A page of the campaign list reads about the rows it returns, for one of 20 tenants with 100 campaigns each
    /// and for one with 5, once the table has statistics. Without an index on (tenant_id, id), PostgreSQL walked the
    /// primary key back through every tenant's campaigns, or fetched and sorted all of the tenant's.
    @Test func aCampaignPageReadsOnlyItsRows() async throws {
        let stack = try Stack.up(Integration.stackOptions())
        defer { stack.down() }
        try Integration.seed(stack, contacts: 0)
        let conn = try PostgresConnection(url: stack.endpoints.databaseURL!)
        // 20 tenants with 100 campaigns each, made in turn, and one with 5.
        _ = try conn.query("INSERT INTO tenants (name) SELECT 'plan' || g FROM generate_series(1, 19) g")
        _ = try conn.query("""
            INSERT INTO campaigns (tenant_id, owner_id, name, subject)
            SELECT t.ids[1 + g % 20], (SELECT min(id) FROM users), 'c' || g, 's'
            FROM generate_series(1, 2000) g, (SELECT array_agg(id ORDER BY id) AS ids FROM tenants) t
            """)
        _ = try conn.query("""
            INSERT INTO campaigns (tenant_id, owner_id, name, subject)
            SELECT (SELECT max(id) FROM tenants), (SELECT min(id) FROM users), 'small' || g, 's' FROM generate_series(1, 5) g
            """)
        let big = try conn.query("SELECT min(id) FROM tenants").rows[0][0]!, small = try conn.query("SELECT max(id) FROM tenants").rows[0][0]!
        try conn.execute("ANALYZE campaigns")  // as autovacuum will once it comes round
        let newest = try conn.query("SELECT max(id) FROM campaigns").rows[0][0]!
        for (tenant, sql, params) in [(big, PostgresCampaignStore.listSQL, []), (small, PostgresCampaignStore.listSQL, []),
                                      (big, PostgresCampaignStore.listBeforeSQL, [newest])] {
            let (plan, read) = try Self.campaignRowsRead(conn, sql, [tenant, "20"] + params)
            #expect(read.count == 1 && read[0] <= 40, "tenant \(tenant): \(plan)")
        }
    }

    /// A run on a fresh stack fills the table long before autovacuum's first round. The seeded history and the
    /// seeder's ANALYZE must already steer the list to the index: without them, each page sorted the tenant's 2,000.
    @Test func aFreshlySeededStackPagesByIndexBeforeAutovacuum() async throws {
        let stack = try Stack.up(Integration.stackOptions())
        defer { stack.down() }
        try Integration.seed(stack, contacts: 0, ["--campaigns-per-tenant", "20"])
        let conn = try PostgresConnection(url: stack.endpoints.databaseURL!)
        #expect(try conn.query("SELECT count(*) FROM campaigns").rows[0][0] == "40")
        _ = try conn.query("""
            INSERT INTO campaigns (tenant_id, owner_id, name, subject)
            SELECT t.id, (SELECT min(id) FROM users WHERE tenant_id = t.id), 'run' || g, 's' FROM tenants t, generate_series(1, 2000) g
            """)
        let tenant = try conn.query("SELECT min(id) FROM tenants").rows[0][0]!
        let (plan, read) = try Self.campaignRowsRead(conn, PostgresCampaignStore.listSQL, [tenant, "20"])
        #expect(read.count == 1 && read[0] <= 40, "\(plan)")
    }

    /// The plan of one list query, and the rows it read from `campaigns` (kept or filtered out), per scan.
    static func campaignRowsRead(_ conn: PostgresConnection, _ sql: String, _ params: [String?]) throws -> (plan: String, read: [Int]) {
        let (plan, nodes) = try Integration.plan(conn, sql, params)
        let read = nodes.filter { $0["Relation Name"] as? String == "campaigns" }
            .map { Integration.planNumber($0, "Actual Rows") + max(Integration.planNumber($0, "Rows Removed by Filter"), 0) }
        return (plan, read)
    }

    /// The dashboard counters are sharded so that concurrent campaign writes do not queue on one row: they must
    /// still add up to the rows exactly, and a rename, which moves no count, must write no counter at all.
    @Test func dashboardCountersStayExactUnderConcurrentWrites() async throws {
        let stack = try Stack.up(Integration.stackOptions())
        defer { stack.down() }
        try Integration.seed(stack, contacts: 0)
        let api = try await APIClient.login(stack.endpoints.target)
        let db = stack.endpoints.databaseURL!
        let ids = try await withThrowingTaskGroup(of: Int.self) { g in
            for i in 0..<40 { g.addTask { try await api.call("POST", "/api/campaigns", json: ["name": "c\(i)", "subject": "s"]).json["id"] as! Int } }
            return try await g.reduce(into: []) { $0.append($1) }
        }
        // Every write to a row makes a new version with a new ctid: none may move while campaigns are renamed.
        let versions = "SELECT string_agg(ctid::text || ':' || n, ',' ORDER BY tenant_id, name, shard) FROM tenant_counters"
        let before = try Integration.sql(db, versions)
        try await withThrowingTaskGroup(of: Void.self) { g in
            for id in ids.prefix(20) { g.addTask { _ = try await api.call("PATCH", "/api/campaigns/\(id)", json: ["name": "renamed"]) } }
            try await g.waitForAll()
        }
        #expect(try Integration.sql(db, versions) == before, "a rename wrote dashboard counters")
        for id in ids.suffix(5) { #expect(try await api.call("DELETE", "/api/campaigns/\(id)").status == 204) }
        // A status change moves a count between statuses; setting a status to itself moves none.
        _ = try Integration.sql(db, "UPDATE campaigns SET status = 'paused' WHERE id IN (\(ids[0]), \(ids[1]))")
        _ = try Integration.sql(db, "UPDATE campaigns SET status = status WHERE tenant_id = 1")
        let counters = "SELECT name || '=' || sum(n) FROM tenant_counters WHERE tenant_id = 1 AND name LIKE 'campaigns:%' GROUP BY name HAVING sum(n) <> 0 ORDER BY 1"
        let rows = "SELECT 'campaigns:' || status || '=' || count(*) FROM campaigns WHERE tenant_id = 1 GROUP BY status ORDER BY 1"
        #expect(try Integration.sql(db, counters) == Integration.sql(db, rows))
        #expect(try Integration.sql(db, rows) == "campaigns:draft=33\ncampaigns:paused=2")
        #expect(try await api.call("GET", "/api/stats").json["campaigns"] as? Int == 35)
    }

    @Test func tenantsSeeOnlyTheirOwnData() async throws {
        let stack = try Stack.up(Integration.stackOptions())
        defer { stack.down() }
        try Integration.seed(stack, contacts: 200)
        let a = try await APIClient.login(stack.endpoints.target, "user1@tenant1.example")
        let b = try await APIClient.login(stack.endpoints.target, "user1@tenant2.example")
        let id = try await a.call("POST", "/api/campaigns", json: ["name": "mine", "subject": "s"]).json["id"] as! Int
        let seg = try await a.call("POST", "/api/segments", json: ["name": "all", "conditions": ["all": []]]).json["id"] as! Int
        _ = try await a.call("GET", "/api/campaigns/\(id)")  // cached for tenant 1
        for (m, p) in [("GET", "/api/campaigns/\(id)"), ("PATCH", "/api/campaigns/\(id)"), ("DELETE", "/api/campaigns/\(id)"),
                       ("POST", "/api/campaigns/\(id)/send"), ("GET", "/api/campaigns/\(id)/stats"),
                       ("GET", "/api/segments/\(seg)"), ("GET", "/api/segments/\(seg)/count")] {
            let r = try await b.call(m, p, json: m == "PATCH" ? ["name": "stolen"] : nil)
            #expect(r.status == 404, "\(m) \(p) answered \(r.status) to another tenant")
        }
        #expect((try await b.call("GET", "/api/campaigns").json["campaigns"] as! [Any]).isEmpty)
        // Contacts: each tenant's search and counts cover its own rows only.
        let tenant1 = try Integration.sql(stack.endpoints.databaseURL!, "SELECT count(*) FROM contacts WHERE tenant_id = 1")
        let count = try await a.call("POST", "/api/segments/preview", json: ["conditions": ["all": []]]).json["count"] as? Int
        #expect(String(count ?? -1) == tenant1)
        let page = try await b.call("GET", "/api/contacts?limit=500").json["contacts"] as! [[String: Any]]
        let t2ids = Set(try Integration.sql(stack.endpoints.databaseURL!, "SELECT id FROM contacts WHERE tenant_id = 2").split(separator: "\n").map { Int($0)! })
        #expect(!page.isEmpty && page.allSatisfy { t2ids.contains($0["id"] as! Int) })
    }

    /// Every value an import accepts comes back from PostgreSQL as sent: COPY's escapes (backslash, tab, newline,
    /// carriage return) and the text[] literal's (quotes, backslashes, commas, braces) are PostgreSQL's to undo.
    @Test func importedValuesComeBackUnchanged() async throws {
        let stack = try Stack.up(Integration.stackOptions())
        defer { stack.down() }
        try Integration.seed(stack, contacts: 0)
        let api = try await APIClient.login(stack.endpoints.target)
        let sent: [[String: Any]] = [
            ["email": "esc@x.example", "first_name": "tab\tin", "last_name": "back\\slash\\N", "company": "line\nbreak\r\nco",
             "source": "Zoë ✉︎ 日本", "tags": ["q\"uote", "c,omma", "b\\s", "{brace}", "tab\there", "NULL", " "],
             "custom_fields": ["note": "a\\b\t\"c\"\n", "n": 5]],
            ["email": "plain@x.example", "tags": [String]()],
        ]
        let r = try await api.call("POST", "/api/contacts/import", body: try JSONSerialization.data(withJSONObject: sent), contentType: "application/json")
        #expect(r.status == 200 && r.json["imported"] as? Int == 2, "\(r.text)")
        let stored = try Integration.sql(stack.endpoints.databaseURL!, """
            SELECT json_agg(json_build_object('email', email, 'first_name', first_name, 'last_name', last_name, 'company', company,
                'source', source, 'tags', tags, 'custom_fields', custom_fields) ORDER BY email DESC) FROM contacts
            """)
        let rows = try JSONSerialization.jsonObject(with: Data(stored.utf8)) as! [[String: Any]]
        #expect(rows.count == 2)
        let first = rows[1], plain = rows[0]
        for key in ["email", "first_name", "last_name", "company", "source"] {
            #expect(first[key] as? String == sent[0][key] as? String, "\(key): \(first[key] ?? "nil")")
        }
        #expect(first["tags"] as? [String] == ["q\"uote", "c,omma", "b\\s", "{brace}", "tab\there", "NULL", " "], "\(first["tags"] ?? "nil")")
        #expect(first["custom_fields"] as? NSDictionary == sent[0]["custom_fields"] as? NSDictionary)
        #expect(plain["email"] as? String == "plain@x.example" && plain["first_name"] is NSNull && plain["tags"] as? [String] == [])
    }

    /// A contact is found by email substring before the background indexer has it (read from contacts) and
    /// after (through the trigram index). An insert still in flight holds the indexer back: its id is lower than
    /// ones that commit before it, and the indexer must not pass it by.
    @Test func emailSearchSeesContactsBeforeAndAfterIndexing() async throws {
        let stack = try Stack.up(Integration.stackOptions())
        defer { stack.down() }
        let db = stack.endpoints.databaseURL!
        // More contacts than the search walks in id order (5,000), so a rare match goes through the index.
        try Integration.seed(stack, contacts: 12_000)
        let api = try await APIClient.login(stack.endpoints.target)
        func needles() async throws -> [String] {
            (try await api.call("GET", "/api/contacts?email=needle").json["contacts"] as! [[String: Any]]).map { $0["email"] as! String }
        }
        let held = try PostgresConnection(url: db)
        try held.execute("BEGIN")
        // An insert in flight as the indexer sees it (the insert lock, taken by hand), without the row lock on the
        // dashboard counter shard its trigger would also hold till commit: the import below draws the same shard
        // one time in 16 and would wait for this commit, which waits for the import (seen once in make test).
        // Triggers are off for this transaction only; the tests connect as a superuser.
        try held.execute("SET LOCAL session_replication_role = replica")
        try held.execute("SELECT pg_advisory_xact_lock_shared(\(ContactSearchIndexer.insertLock))")
        try held.execute("INSERT INTO contacts (tenant_id, email) VALUES (1, 'held.needle@x.example')")
        let imp = try await api.call("POST", "/api/contacts/import", body: Data("email\nlate.needle@x.example\n".utf8), contentType: "text/csv")
        #expect(imp.status == 200 && imp.json["imported"] as? Int == 1, "\(imp.text)")
        #expect(try await needles() == ["late.needle@x.example"])
        let indexer = ContactSearchIndexer(db: Database(url: db, size: 1))
        defer { indexer.db.shutdown() }
        #expect(try await indexer.step() == nil, "an insert is in flight")
        let heldID = try Integration.sql(db, "SELECT max(id) FROM contacts")  // the import's; the held row is lower
        try held.execute("COMMIT")
        #expect(try await Integration.eventually(10) {
            try Integration.sql(db, "SELECT (SELECT count(*) FROM contact_search) = (SELECT count(*) FROM contacts) AND (SELECT upto FROM contact_search_progress) >= \(heldID)") == "t"
        })
        #expect(try await needles() == ["held.needle@x.example", "late.needle@x.example"])
    }

    /// The seeder's catch-up rebuilds the trigram index while campaignd's background indexer may be starting a
    /// step, whose statement opens contact_search before it waits for the progress row. Taken in the other order,
    /// the two deadlocked and a `mailstorm run api` failed seeding (40P01). Here a connection does what that step
    /// does, by hand, at the moment the catch-up wants the table.
    @Test func seedCatchUpAndABackgroundStepDoNotDeadlock() async throws {
        let stack = try Stack.up(Integration.stackOptions())
        defer { stack.down() }
        let db = stack.endpoints.databaseURL!
        try Integration.seed(stack, contacts: 100)
        // An insert in flight keeps both indexers from indexing what is added next, so the catch-up rebuilds.
        let inFlight = try PostgresConnection(url: db)
        try inFlight.execute("BEGIN")
        try inFlight.execute("SELECT pg_advisory_xact_lock_shared(\(ContactSearchIndexer.insertLock))")
        _ = try Integration.sql(db, "INSERT INTO contacts (tenant_id, email) SELECT 1, 'late' || g || '@x.example' FROM generate_series(1, 500) g")
        let step = try PostgresConnection(url: db)
        try step.execute("BEGIN")
        try step.execute("LOCK TABLE contact_search IN ROW EXCLUSIVE MODE")
        let indexer = ContactSearchIndexer(db: Database(url: db, size: 1))
        defer { indexer.db.shutdown() }
        let catchUp = Task { try await indexer.catchUp() }
        try inFlight.execute("COMMIT")
        #expect(try await Integration.eventually(10) {
            try Integration.sql(db, "SELECT count(*) FROM pg_locks WHERE NOT granted AND mode = 'AccessExclusiveLock' AND relation = 'contact_search'::regclass") == "1"
        }, "the catch-up waits for the table")
        // PostgreSQL looks for a deadlock after deadlock_timeout (1 s) of waiting; either side may be its victim.
        #expect(throws: Never.self) { try step.execute("SELECT upto FROM contact_search_progress FOR UPDATE") }
        try step.execute("COMMIT")
        try await catchUp.value
        #expect(try Integration.sql(db, "SELECT (SELECT count(*) FROM contact_search) = (SELECT count(*) FROM contacts)") == "t")
    }

    /// Contacts' tenant is checked once per statement (migration 11), not by a foreign key; it must refuse all
    /// that the key refused, a tenant deleted while its contacts are being inserted included.
    @Test func contactsKeepToExistingTenants() async throws {
        let stack = try Stack.up(Integration.stackOptions())
        defer { stack.down() }
        let db = stack.endpoints.databaseURL!
        try Integration.seed(stack, contacts: 100)
        let conn = try PostgresConnection(url: db)
        func refusal(_ sql: String) -> String? {
            do { try conn.execute(sql); return nil } catch let e as DatabaseError { return e.sqlState } catch { return "\(error)" }
        }
        func newTenant(_ name: String) throws -> String { try conn.query("INSERT INTO tenants (name) VALUES ($1) RETURNING id", [name]).rows[0][0]! }
        #expect(refusal("INSERT INTO contacts (tenant_id, email) VALUES (1, 'a@x.example'), (987654, 'b@x.example')") == "23503")
        #expect(try Integration.sql(db, "SELECT count(*) FROM contacts WHERE email LIKE '%@x.example'") == "0")
        #expect(refusal("UPDATE contacts SET tenant_id = tenant_id % 2 + 1 WHERE id = (SELECT min(id) FROM contacts)") == "23503")
        #expect(refusal("DELETE FROM tenants WHERE id = \(try newTenant("empty"))") == nil)
        let busy = try newTenant("busy")
        let held = try PostgresConnection(url: db)
        try held.execute("BEGIN")
        try held.execute("INSERT INTO contacts (tenant_id, email) VALUES (\(busy), 'c@busy.example')")
        try conn.execute("SET lock_timeout = '300ms'")
        #expect(refusal("DELETE FROM tenants WHERE id = \(busy)") == "55P03", "the insert in flight holds the tenant's row")
        try held.execute("COMMIT")
        #expect(refusal("DELETE FROM tenants WHERE id = \(busy)") == "23503")
        #expect(refusal("UPDATE tenants SET id = DEFAULT WHERE id = \(busy)") == "23503")
    }

    @Test func contactsImportSearchAndSegments() async throws {
        let stack = try Stack.up(Integration.stackOptions())
        defer { stack.down() }
        try Integration.seed(stack, contacts: 0)
        let api = try await APIClient.login(stack.endpoints.target)
        let csv = """
            email,first_name,last_name,company,source,tags,custom_fields
            Ann@Acme.com,Ann,Lee,Acme,signup,vip;beta,"{""plan"":""pro""}"
            bob@acme.com,Bob,"Smith, Jr.",Acme,import,beta,
            cid@globex.org,Cid,,Globex,api,,"{""plan"":""free""}"
            ann@acme.com,Dup,,,,,

            """
        let imp = try await api.call("POST", "/api/contacts/import", body: Data(csv.utf8), contentType: "text/csv")
        #expect(imp.status == 200, "\(imp.text)")
        #expect(imp.json["received"] as? Int == 4 && imp.json["imported"] as? Int == 3 && imp.json["skipped"] as? Int == 1)
        let json = try JSONSerialization.data(withJSONObject: [["email": "dee@initech.com", "company": "Initech", "tags": ["vip"],
                                                                "custom_fields": ["plan": "pro", "seats": 5]]])
        #expect(try await api.call("POST", "/api/contacts/import", body: json, contentType: "application/json").json["imported"] as? Int == 1)

        let bad = try await api.call("POST", "/api/contacts/import", body: Data("email,name\nx@y.com,X\n".utf8), contentType: "text/csv")
        #expect(bad.status == 400 && bad.json["field"] as? String == "name")
        let badRow = try await api.call("POST", "/api/contacts/import", body: Data("email\nok@x.com\nnot-an-email\n".utf8), contentType: "text/csv")
        #expect(badRow.status == 400 && (badRow.json["error"] as? String)?.hasPrefix("line 3") == true)
        #expect(try await api.call("POST", "/api/contacts/import", body: Data("x".utf8), contentType: "text/plain").json["field"] as? String == "Content-Type")
        // custom_fields is checked for shape while parsing and in full by PostgreSQL's jsonb input; both refuse.
        let badJSON = try await api.call("POST", "/api/contacts/import", body: Data("email,custom_fields\nj@x.com,\"{oops}\"\n".utf8), contentType: "text/csv")
        #expect(badJSON.status == 400 && badJSON.json["field"] as? String == "custom_fields", "\(badJSON.text)")
        #expect(try Integration.sql(stack.endpoints.databaseURL!, "SELECT count(*) FROM contacts") == "4", "a refused import must not half-load")
        // Chunks go in by a plain INSERT until one meets a duplicate, which then goes in skipping them, as does every
        // later chunk: a re-import, and duplicates past the first chunk (one of an older contact, one of this file's).
        let again = try await api.call("POST", "/api/contacts/import", body: Data(csv.utf8), contentType: "text/csv")
        #expect(again.json["imported"] as? Int == 0 && again.json["skipped"] as? Int == 4, "\(again.text)")
        let bulk = "email\n" + (0..<ContactImportParser.chunkRows).map { "bulk\($0)@bulk.example\n" }.joined()
            + "bob@acme.com\nbulk-last@bulk.example\nbulk5@bulk.example\n"
        let mixed = try await api.call("POST", "/api/contacts/import", body: Data(bulk.utf8), contentType: "text/csv")
        #expect(mixed.json["received"] as? Int == 10_003 && mixed.json["imported"] as? Int == 10_001 && mixed.json["skipped"] as? Int == 2, "\(mixed.text)")
        #expect(try Integration.sql(stack.endpoints.databaseURL!, "SELECT count(*) FROM contacts WHERE email LIKE '%@bulk.example'") == "10001")

        // Search: filters and keyset pages.
        let acme = try await api.call("GET", "/api/contacts?company=acme&limit=1")
        let first = acme.json["contacts"] as! [[String: Any]]
        #expect(first.count == 1 && first[0]["email"] as? String == "ann@acme.com" && first[0]["tags"] as? [String] == ["vip", "beta"])
        let after = acme.json["next_after"] as! Int
        let second = try await api.call("GET", "/api/contacts?company=acme&limit=1&after=\(after)").json
        #expect((second["contacts"] as! [[String: Any]]).map { $0["email"] as! String } == ["bob@acme.com"])
        #expect((try await api.call("GET", "/api/contacts?tag=vip").json["contacts"] as! [Any]).count == 2)
        #expect(try await api.call("GET", "/api/contacts?created_after=yesterday").json["field"] as? String == "created_after")
        // Substring search on email finds the import's rows, and the trigram index can answer it once the
        // background indexer has the rows: with every other plan disabled, PostgreSQL would have to read the table.
        let found = try await api.call("GET", "/api/contacts?email=globex").json["contacts"] as! [[String: Any]]
        #expect(found.map { $0["email"] as! String } == ["cid@globex.org"])
        #expect(try await Integration.eventually(10) { try Integration.sql(stack.endpoints.databaseURL!, "SELECT count(*) FROM contact_search WHERE email = 'cid@globex.org'") == "1" })
        let plan = try Integration.sql(stack.endpoints.databaseURL!, """
            SET enable_seqscan = off; SET enable_indexscan = off; SET enable_indexonlyscan = off;
            EXPLAIN SELECT id FROM contact_search WHERE email LIKE '%globex%'
            """)
        #expect(plan.contains("idx_contact_search_email_trgm"), "\(plan)")

        // Segments: seed-004 conditions with AND/OR; the count matches the rows.
        let cond: [String: Any] = ["any": [
            ["all": [["field": "email", "op": "ends_with", "value": "@acme.com"], ["field": "tags", "op": "not_contains", "value": "vip"]]],
            ["field": "custom_fields.plan", "op": "equals", "value": "free"],
            ["field": "custom_fields.seats", "op": "equals", "value": 5],
        ]]
        #expect(try await api.call("POST", "/api/segments/preview", json: ["conditions": cond]).json["count"] as? Int == 3)  // bob, cid, dee
        let seg = try await api.call("POST", "/api/segments", json: ["name": "mixed", "conditions": cond])
        #expect(seg.status == 201)
        let segID = seg.json["id"] as! Int
        #expect(try await api.call("GET", "/api/segments/\(segID)/count").json["count"] as? Int == 3)
        #expect((try await api.call("GET", "/api/segments").json["segments"] as! [Any]).count == 1)
        let wrong = try await api.call("POST", "/api/segments/preview", json: ["conditions": ["all": [["field": "company", "op": "ends_with", "value": "x"]]]])
        #expect(wrong.status == 400 && wrong.json["field"] as? String == "conditions.all[0].op")
        #expect(try await api.call("POST", "/api/segments", json: ["conditions": ["all": []]]).json["field"] as? String == "name")
        let wild = try await api.call("POST", "/api/segments/preview", json: ["conditions": ["field": "email", "op": "contains", "value": "%"]])
        #expect(wild.json["count"] as? Int == 0, "LIKE wildcards in a value match literally")
    }

    /// A search page walks the first 5,000 contacts after its cursor and finds the rest through the indexes: pages
    /// that cross that boundary, or go past it empty-handed, must be exactly the rows PostgreSQL finds by itself.
    @Test func searchPagesAreExactAcrossTheWalkedWindow() async throws {
        let stack = try Stack.up(Integration.stackOptions())
        defer { stack.down() }
        try Integration.seed(stack, contacts: 24_000)
        let api = try await APIClient.login(stack.endpoints.target)
        let db = stack.endpoints.databaseURL!
        // Common (fills a page inside the window), rare (found on both sides of it), none, and an unfiltered page.
        for (query, like, limit) in [("email=gmail", "%gmail%", 40), ("email=mary.smith1", "%mary.smith1%", 50),
                                     ("email=zzq", "%zzq%", 10), ("", "%", 25)] {
            let truth = try Integration.sql(db, "SELECT id FROM contacts WHERE tenant_id = 1 AND email LIKE '\(like)' ORDER BY id LIMIT 200")
                .split(separator: "\n").map { Int($0)! }
            var got: [Int] = [], after = 0
            while got.count < truth.count {
                let page = try await api.call("GET", "/api/contacts?limit=\(limit)&after=\(after)" + (query.isEmpty ? "" : "&" + query))
                try #require(page.status == 200, "\(page.text)")
                let ids = (page.json["contacts"] as? [[String: Any]] ?? []).map { $0["id"] as! Int }
                if ids.isEmpty { break }
                got += ids
                after = ids.last!
            }
            #expect(Array(got.prefix(truth.count)) == truth, "\(query): \(got.count) rows against \(truth.count)")
            if query == "email=mary.smith1" { #expect(truth.count >= 3 && truth.last! > truth.first! + 10_000, "spans the window: \(truth)") }
        }
    }

    @Test func rateLimiterAnswers429() async throws {
        let options = Integration.stackOptions(["--rate-limit", "5"])
        let stack = try Stack.up(options)
        defer { stack.down() }
        try Integration.seed(stack, contacts: 0)
        let api = try await APIClient.login(stack.endpoints.target)
        var statuses: [Int] = []
        var limited: APIClient.Reply? = nil
        for _ in 0..<12 {
            let r = try await api.call("GET", "/api/campaigns")
            statuses.append(r.status)
            if r.status == 429 { limited = r }
        }
        // 12 requests in well under two seconds: at most 5 per one-second window get through.
        #expect(statuses.filter { $0 == 200 }.count <= 10 && statuses.contains(429), "\(statuses)")
        #expect(limited?.header("Retry-After") == "1" && limited?.header("X-RateLimit-Limit") == "5" && limited?.header("X-RateLimit-Remaining") == "0")
        try await Task.sleep(for: .seconds(1.1))
        let ok = try await api.call("GET", "/api/campaigns")
        #expect(ok.status == 200 && ok.header("X-RateLimit-Limit") == "5")
        #expect(try await api.call("GET", "/metrics").text.contains("campaignd_rate_limited_total"))
    }

    @Test func redisDownServesFromPostgresAndReconnects() async throws {
        let stack = try Stack.up(Integration.stackOptions())
        defer { stack.down() }
        try Integration.seed(stack, contacts: 0)
        let api = try await APIClient.login(stack.endpoints.target)
        _ = try await api.call("POST", "/api/campaigns", json: ["name": "a", "subject": "s"])
        let redisPort = Int(stack.endpoints.redisURL!.split(separator: ":").last!)!
        kill(stack.pids["redis"]!, SIGKILL)
        try await Task.sleep(for: .milliseconds(200))
        // Slower, not failing: sessions and stats come from PostgreSQL.
        for path in ["/api/campaigns", "/api/stats", "/api/campaigns/1"] {
            let r = try await api.call("GET", path)
            #expect(r.status == 200, "\(path) failed with Redis down: \(r.text)")
        }
        let again = try await APIClient.login(stack.endpoints.target, "user2@tenant1.example")
        #expect(try await again.call("POST", "/api/campaigns", json: ["name": "b", "subject": "s"]).status == 201)
        #expect(try await api.call("GET", "/health").json["cache"] as? String == "down")
        #expect(try await api.call("GET", "/health/live").status == 200, "liveness consults no dependency")
        // Bring Redis back where campaignd expects it: the cache reconnects by itself (within a second).
        let dir = NSTemporaryDirectory() + "redis-back-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let back = try RedisServer(directory: dir, port: redisPort)
        defer { back.process.stop(); try? FileManager.default.removeItem(atPath: dir) }
        let reconnected = try await Integration.eventually(10) {
            _ = try await api.call("GET", "/api/stats")
            return try await api.call("GET", "/health").json["cache"] as? String == "up"
        }
        #expect(reconnected)
    }
}
}
