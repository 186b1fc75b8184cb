import Foundation
import Testing
import Harness
import Environment
@testable import SystemUnderTest

extension SharedMachine {
/// The sender and the mail sink, end to end: every recipient ends in exactly one state, none is lost.
@Suite struct SendIntegrationTests {
    static let template = "<html><body>Hi {{first_name}} of {{company}}, <a href=\"https://example.com/offer\">the offer</a></body></html>"

    /// Creates and starts a campaign over all of tenant 1's active contacts; returns its id.
    static func startCampaign(_ api: APIClient) async throws -> Int {
        let id = try await api.call("POST", "/api/campaigns", json: ["name": "send", "subject": "Hello", "template": template]).json["id"] as! Int
        let r = try await api.call("POST", "/api/campaigns/\(id)/send")
        guard r.status == 202 else { throw StackError("send refused: \(r.text)") }
        return id
    }

    static func waitSent(_ api: APIClient, _ id: Int, seconds: Double = 90) async throws -> Bool {
        try await Integration.eventually(seconds) {
            try await api.call("GET", "/api/campaigns/\(id)/stats").json["status"] as? String == "sent"
        }
    }

    static func sinkStats(_ stack: Stack) -> SinkLedger.Stats { stack.sink!.ledger.stats }

    /// A new campaignd on the stack's database, Redis and sink, after the first one died: it picks a campaign up
    /// where the outbox says.
    static func campaigndAgain(_ stack: Stack) throws -> CampaignServer {
        let dir = stack.directory + "/again"  // a log of its own: readiness is read from it
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return try CampaignServer(binary: Integration.binary("campaignd"), directory: dir, databaseURL: stack.endpoints.databaseURL!,
                           redisURL: stack.endpoints.redisURL!, extraArguments: ["--mail-url", stack.sink!.smtpURL])
    }

    /// Final states by status, from PostgreSQL.
    static func states(_ stack: Stack, _ id: Int) throws -> [String: Int] {
        let rows = try Integration.sql(stack.endpoints.databaseURL!,
                                       "SELECT status || '=' || count(*) FROM email_sends WHERE campaign_id = \(id) GROUP BY status")
        return Dictionary(uniqueKeysWithValues: rows.split(separator: "\n").map { l in
            let p = l.split(separator: "="); return (String(p[0]), Int(p[1])!)
        })
    }

    @Test(arguments: [MailTransportKind.smtp, .http])
    func faultsEndInExactlyOneStatePerRecipient(transport: MailTransportKind) async throws {
        var options = Integration.stackOptions()
        options.transport = transport
        options.faults.transientRate = 0.1
        options.faults.permanentRate = 0.05
        options.faults.dropRate = 0.01
        options.campaigndArguments = ["--retry-base-ms", "20", "--max-attempts", "8"]
        let stack = try Stack.up(options)
        defer { stack.down() }
        try Integration.seed(stack, contacts: 4000)
        let api = try await APIClient.login(stack.endpoints.target)
        let id = try await Self.startCampaign(api)
        let finished = try await Self.waitSent(api, id)
        #expect(finished, "campaign did not finish: \((try? Self.states(stack, id)) ?? [:])")

        let recipients = Int(try Integration.sql(stack.endpoints.databaseURL!, "SELECT recipients FROM campaigns WHERE id = \(id)"))!
        let active = Int(try Integration.sql(stack.endpoints.databaseURL!, "SELECT count(*) FROM contacts WHERE tenant_id = 1 AND status = 'active'"))!
        #expect(recipients == active && recipients > 1500)
        let states = try Self.states(stack, id)
        #expect(states["queued"] == nil, "\(states)")
        #expect(states.values.reduce(0, +) == recipients)
        let unfinished = try Integration.sql(stack.endpoints.databaseURL!,
                                             "SELECT count(*) FROM email_sends WHERE campaign_id = \(id) AND finished_at IS NULL")
        #expect(unfinished == "0")
        let sink = Self.sinkStats(stack)
        #expect(sink.unique == states["sent"], "sink \(sink.unique) vs sent \(states["sent"] ?? 0)")
        #expect(sink.duplicates == 0)
        #expect(sink.rejectedPermanent == states["bounced"] ?? 0)
        #expect(sink.rejectedTransient > 0 && (states["bounced"] ?? 0) > 0, "the faults were injected")
        let stats = try await api.call("GET", "/api/campaigns/\(id)/stats").json
        #expect(stats["sent"] as? Int == states["sent"] && stats["queued"] as? Int == 0)
        try await Self.expectStatsMatchRows(api, stack, id)
    }

    /// The campaign's stats, totals and hourly chart, against the queries they replaced (one pass per figure, the
    /// hour formatted per row).
    static func expectStatsMatchRows(_ api: APIClient, _ stack: Stack, _ id: Int) async throws {
        let stats = try await api.call("GET", "/api/campaigns/\(id)/stats").json
        let db = stack.endpoints.databaseURL!
        let totals = try Integration.sql(db, """
            SELECT concat_ws(',', count(*) FILTER (WHERE status = 'queued'), count(*) FILTER (WHERE status = 'sent'),
                   count(*) FILTER (WHERE status = 'bounced'), count(*) FILTER (WHERE status = 'failed'),
                   count(delivered_at), count(opened_at), count(clicked_at))
            FROM email_sends WHERE campaign_id = \(id)
            """)
        #expect(["queued", "sent", "bounced", "failed", "delivered", "opened", "clicked"].map { "\(stats[$0] ?? "")" }.joined(separator: ",") == totals)
        let hourly = (stats["hourly"] as? [[String: Any]] ?? []).map { h in
            ["hour", "sent", "bounced", "opened", "clicked"].map { "\(h[$0] ?? "")" }.joined(separator: ",")
        }
        let expected = try Integration.sql(db, """
            SELECT to_char(date_trunc('hour', sent_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:00:00"Z"') || ',' || count(*) || ','
                   || count(*) FILTER (WHERE status = 'bounced') || ',' || count(opened_at) || ',' || count(clicked_at)
            FROM email_sends WHERE campaign_id = \(id) AND sent_at IS NOT NULL GROUP BY date_trunc('hour', sent_at) ORDER BY 1
            """).split(separator: "\n").map(String.init)
        #expect(!hourly.isEmpty && hourly == expected, "\(hourly) against \(expected)")
    }

    /// A delivery reads and locks one batch's rows, not the outbox: PostgreSQL's own plan, with 2,000 queued in
    /// batches of 50, locks one batch, then reads and locks 50 rows, and no contact (the merge fields are the rows').
    @Test func aDeliveryReadsOnlyItsBatch() async throws {
        let stack = try Stack.up(Integration.stackOptions())
        defer { stack.down() }
        try Integration.seed(stack, contacts: 2000)
        let api = try await APIClient.login(stack.endpoints.target)
        let id = try await api.call("POST", "/api/campaigns", json: ["name": "plan", "subject": "s", "template": "t"]).json["id"] as! Int
        let conn = try PostgresConnection(url: stack.endpoints.databaseURL!)
        // Uncommitted, so campaignd's own sender never sees these rows.
        try conn.execute("BEGIN")
        defer { try? conn.execute("ROLLBACK") }
        _ = try conn.query("UPDATE campaigns SET status = 'sending', send_started_at = now() WHERE id = $1", [String(id)])
        _ = try conn.query("""
            WITH ins AS (INSERT INTO email_sends (campaign_id, contact_id, tenant_id, email, first_name, created_at)
                         SELECT $1, id, tenant_id, email, first_name, now() FROM contacts RETURNING contact_id)
            INSERT INTO send_batches (campaign_id, created_at, first_contact, last_contact, messages)
            SELECT $1, now(), min(contact_id), max(contact_id), count(*)
            FROM (SELECT contact_id, (row_number() OVER (ORDER BY contact_id) - 1) / 50 AS run FROM ins) r GROUP BY run
            """, [String(id)])
        try conn.execute("ANALYZE email_sends; ANALYZE send_batches")
        let number = Integration.planNumber
        let claim = try Integration.plan(conn, Sender.claimSQL, [])
        #expect(claim.nodes.first { $0["Node Type"] as? String == "LockRows" }.map { number($0, "Actual Rows") } == 1, "\(claim.text)")
        let batch = try conn.query(Sender.claimSQL).rows[0]
        let (plan, nodes) = try Integration.plan(conn, Sender.batchRowsSQL, [String(id), batch[2], batch[3], batch[4]])
        let contacts = nodes.filter { $0["Relation Name"] as? String == "contacts" }.count
        let read = nodes.filter { ($0["Relation Name"] as? String)?.hasPrefix("email_sends") == true }
            .map { number($0, "Actual Rows") + max(number($0, "Rows Removed by Filter"), 0) }.reduce(0, +)
        let locked = nodes.first { $0["Node Type"] as? String == "LockRows" }.map { number($0, "Actual Rows") }
        #expect(contacts == 0 && locked == 50 && read == 50, "\(plan)")
        let first = try conn.query(Sender.batchRowsSQL, [String(id), batch[2], batch[3], batch[4]]).rows.first
        let name = try conn.query("SELECT first_name FROM contacts WHERE id = $1", [first?[0]]).rows.first?[0]
        #expect(first?[6] != nil && first?[6] == name)
    }

    /// A delivered message's update is HOT: no index names a column that delivery changes, so the new row version
    /// stays on its page and no index gets an entry. An index on queued rows, which named the status, made every
    /// delivery write three index entries. Not quite all are: a sent row is longer than a queued one, so the last
    /// few of a half-full page find no room beside themselves (864 of 942 here).
    @Test func deliveriesUpdateTheirRowsInPlace() async throws {
        let stack = try Stack.up(Integration.stackOptions())
        defer { stack.down() }
        try Integration.seed(stack, contacts: 2000)
        let db = stack.endpoints.databaseURL!
        let api = try await APIClient.login(stack.endpoints.target)
        let id = try await Self.startCampaign(api)
        #expect(try await Self.waitSent(api, id))
        let sent = try Self.states(stack, id)["sent"] ?? 0
        // PostgreSQL publishes a backend's table counters once it has been idle a while (up to 10 s).
        var counts = ""
        let hot = try await Integration.eventually(20) {
            counts = try Integration.sql(db, """
                SELECT sum(n_tup_hot_upd) || ' of ' || sum(n_tup_upd) FROM pg_stat_user_tables WHERE relname LIKE 'email_sends%'
                """)
            return Double(counts.split(separator: " ")[0]) ?? 0 >= 0.8 * Double(sent)
        }
        #expect(sent > 500 && hot, "HOT updates: \(counts), sent \(sent)")
    }

    /// A paused campaign keeps its queued messages, but they must not hold the outbox's room: another tenant's
    /// campaign, started while it is paused, is resolved and sent all the same.
    @Test func aPausedCampaignDoesNotHoldUpOthers() async throws {
        let options = Integration.stackOptions(["--outbox-ahead", "200", "--send-rate", "100"])
        let stack = try Stack.up(options)
        defer { stack.down() }
        try Integration.seed(stack, contacts: 1000)  // two tenants
        let db = stack.endpoints.databaseURL!
        let first = try await APIClient.login(stack.endpoints.target)
        let paused = try await Self.startCampaign(first)
        #expect(try await Integration.eventually(20) {
            Int(try Integration.sql(db, "SELECT count(*) FROM email_sends WHERE campaign_id = \(paused) AND status = 'queued'")) ?? 0 >= 150
        })
        #expect(try await first.call("POST", "/api/campaigns/\(paused)/pause").status == 202)
        let other = try await APIClient.login(stack.endpoints.target, "user1@tenant2.example")
        let id = try await Self.startCampaign(other)
        #expect(try await Self.waitSent(other, id, seconds: 60), "the other tenant's campaign: \((try? Self.states(stack, id)) ?? [:])")
        #expect(try await first.call("GET", "/api/campaigns/\(paused)").json["status"] as? String == "paused")
    }

    /// Recipients are resolved at the pace of delivery: the outbox never holds more than --outbox-ahead, and
    /// every recipient still gets exactly one message.
    @Test func recipientsAreResolvedAtThePaceOfDelivery() async throws {
        let options = Integration.stackOptions(["--outbox-ahead", "200", "--send-rate", "1000"])
        let stack = try Stack.up(options)
        defer { stack.down() }
        try Integration.seed(stack, contacts: 3000)
        let api = try await APIClient.login(stack.endpoints.target)
        let id = try await Self.startCampaign(api)
        var most = 0, samples = 0
        while samples < 600, try await api.call("GET", "/api/campaigns/\(id)/stats").json["status"] as? String != "sent" {
            most = max(most, Int(try Integration.sql(stack.endpoints.databaseURL!, "SELECT count(*) FROM email_sends WHERE status = 'queued'")) ?? 0)
            samples += 1
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(try await Self.waitSent(api, id))
        #expect(most > 0 && most <= 200, "at most \(most) queued")
        let active = Int(try Integration.sql(stack.endpoints.databaseURL!, "SELECT count(*) FROM contacts WHERE tenant_id = 1 AND status = 'active'"))!
        #expect(try Self.states(stack, id) == ["sent": active])
        #expect(Self.sinkStats(stack).unique == active && Self.sinkStats(stack).duplicates == 0)
    }

    @Test func trackingWebhooksAndEngagement() async throws {
        var options = Integration.stackOptions()
        options.engagement.openRate = 1
        options.engagement.clickRate = 0.5
        options.engagement.webhooks = true
        let stack = try Stack.up(options)
        defer { stack.down() }
        try Integration.seed(stack, contacts: 200)
        let api = try await APIClient.login(stack.endpoints.target)
        let id = try await Self.startCampaign(api)
        #expect(try await Self.waitSent(api, id))
        let db = stack.endpoints.databaseURL!
        let sent = Int(try Integration.sql(db, "SELECT count(*) FROM email_sends WHERE campaign_id = \(id) AND status = 'sent'"))!

        // The sink opened every message and clicked about half: events recorded in batches.
        #expect(try await Integration.eventually(15) {
            Int(try Integration.sql(db, "SELECT count(*) FROM email_sends WHERE campaign_id = \(id) AND opened_at IS NOT NULL"))! == sent
        })
        let clicks = Int(try Integration.sql(db, "SELECT count(*) FROM events WHERE campaign_id = \(id) AND kind = 'click'"))!
        #expect(clicks > sent / 4 && clicks < sent * 3 / 4, "clicks \(clicks) of \(sent)")
        // ... and sent `delivered` webhooks, applied asynchronously from the queue.
        #expect(try await Integration.eventually(15) {
            Int(try Integration.sql(db, "SELECT count(*) FROM email_sends WHERE campaign_id = \(id) AND delivered_at IS NOT NULL"))! == sent
        })
        let stats = try await api.call("GET", "/api/campaigns/\(id)/stats").json
        #expect(stats["opened"] as? Int == sent && stats["delivered"] as? Int == sent)

        // By hand: a click redirects to the original link; a bounce webhook marks the send and the contact.
        let contact = Int(try Integration.sql(db, "SELECT contact_id FROM email_sends WHERE campaign_id = \(id) ORDER BY contact_id LIMIT 1"))!
        let anon = APIClient(base: stack.endpoints.target)
        let tokens = try Integration.trackingTokens(db)
        let m = MessageIdentity(campaign: Int64(id), contact: Int64(contact))
        let click = try await anon.call("GET", "/t/c/\(tokens.click(m, link: 0))")
        #expect(click.status == 302 && click.header("Location") == "https://example.com/offer")
        let pixel = try await anon.call("GET", "/t/o/\(tokens.open(m))")
        #expect(pixel.status == 200 && pixel.header("Content-Type") == "image/gif" && pixel.body.count == 43)
        #expect(try await anon.call("GET", "/t/c/\(tokens.click(m, link: 7))").status == 404)
        #expect(try await anon.call("GET", "/t/o/nonsense").status == 404)
        // The plain ids of old, or another message's signature, are no one's token: opens and clicks cannot be forged.
        #expect(try await anon.call("GET", "/t/c/\(id)-\(contact)-0").status == 404)
        #expect(try await anon.call("GET", "/t/o/\(id)-\(contact)").status == 404)
        let forged = "\(id)-\(contact + 1)." + tokens.open(m).split(separator: ".")[1]
        #expect(try await anon.call("GET", "/t/o/\(forged)").status == 404)
        let hook = [["event": "bounced", "message_id": "<\(id).\(contact)@campaignd.mailstorm>", "timestamp": Date().timeIntervalSince1970]]
        #expect(try await anon.call("POST", "/api/webhooks/provider", json: hook, headers: ["Authorization": "Bearer wrong"]).status == 401)
        let queued = try await anon.webhook(hook)
        #expect(queued.status == 202 && queued.json["queued"] as? Int == 1)
        let badHook = try await anon.webhook([["event": "exploded", "message_id": "x"]])
        #expect(badHook.status == 400 && badHook.json["field"] as? String == "[0].event")
        #expect(try await Integration.eventually(5) {
            try Integration.sql(db, "SELECT s.status || ',' || c.status FROM email_sends s JOIN contacts c ON c.id = s.contact_id WHERE s.campaign_id = \(id) AND s.contact_id = \(contact)")
                == "bounced,bounced"
        })
        // The click by hand is recorded in a batch too: were it written between the stats and the rows they are
        // checked against, they would differ by it (59 against 60 clicks in one make test).
        #expect(try await Integration.eventually(5) {
            try Integration.sql(db, "SELECT count(clicked_at) FROM email_sends WHERE campaign_id = \(id) AND contact_id = \(contact)") == "1"
        })
        try await Self.expectStatsMatchRows(api, stack, id)
    }

    /// Opens and webhooks update many sends per statement. Each locks its rows in (campaign, contact) order, as the
    /// sender does, before it updates them: in their joins' own orders a flush of opens and a webhook batch
    /// deadlocked, and the opens were lost. Here the lowest row is held while each statement runs, events named
    /// highest first: waiting for it, the statement must hold none of the others.
    @Test func opensAndWebhooksLockTheirSendsInOneOrder() async throws {
        let (stack, id, contacts) = try await Self.campaignToLockIn()
        defer { stack.down() }
        let db = stack.endpoints.databaseURL!
        let messages = contacts.reversed().map { MessageIdentity(campaign: Int64(id), contact: $0) }
        let tokens = try Integration.trackingTokens(db)
        let anon = APIClient(base: stack.endpoints.target)
        let lowest = "SELECT 1 FROM email_sends WHERE campaign_id = \(id) AND contact_id = \(contacts[0]) FOR UPDATE"
        let others = "SELECT 1 FROM email_sends WHERE campaign_id = \(id) AND contact_id <> \(contacts[0]) FOR UPDATE NOWAIT"
        try await Self.whileHeld(db, lowest, othersFree: others) {
            for m in messages {
                let pixel = try await anon.call("GET", "/t/o/\(tokens.open(m))")
                #expect(pixel.status == 200)
            }
        }
        #expect(try await Integration.eventually(10) {
            try Integration.sql(db, "SELECT count(*) FROM events WHERE campaign_id = \(id) AND kind = 'open'") == String(contacts.count)
        }, "every open recorded")
        try await Self.whileHeld(db, lowest, othersFree: others) {
            let hook = messages.map { ["event": "delivered", "message_id": $0.messageID] }
            let queued = try await anon.webhook(hook)
            #expect(queued.status == 202)
        }
        #expect(try await Integration.eventually(10) {
            try Integration.sql(db, "SELECT count(*) FROM email_sends WHERE campaign_id = \(id) AND delivered_at IS NOT NULL") == String(contacts.count)
        }, "every delivery applied")
    }

    /// A webhook batch marks its hard bounces on the contacts, locking them in id order: two batches (two
    /// instances share the queue) that bounced the same contacts in their joins' own orders could deadlock. Here
    /// the lowest contact is held while a batch bounces all of them, highest first: waiting for it, the statement
    /// must hold no other contact.
    @Test func bouncesLockTheirContactsInOneOrder() async throws {
        let (stack, id, contacts) = try await Self.campaignToLockIn()
        defer { stack.down() }
        let db = stack.endpoints.databaseURL!
        try await Self.whileHeld(db, "SELECT 1 FROM contacts WHERE id = \(contacts[0]) FOR UPDATE",
                                 othersFree: "SELECT 1 FROM contacts WHERE tenant_id = 1 AND id <> \(contacts[0]) FOR UPDATE NOWAIT") {
            let hook = contacts.reversed().map { ["event": "bounced", "message_id": MessageIdentity(campaign: Int64(id), contact: $0).messageID] }
            let queued = try await APIClient(base: stack.endpoints.target).webhook(hook)
            #expect(queued.status == 202)
        }
        #expect(try await Integration.eventually(10) {
            try Integration.sql(db, "SELECT count(*) FROM contacts WHERE tenant_id = 1 AND status = 'bounced'") == String(contacts.count)
        }, "every bounce applied")
    }

    /// A stack with 40 active contacts and a campaign marked sent to tenant 1's, stored highest first, as updates
    /// leave a real table: a scan's order is not the contacts' order.
    static func campaignToLockIn() async throws -> (Stack, id: Int, contacts: [Int64]) {
        let stack = try Stack.up(Integration.stackOptions())
        do {
            try Integration.seed(stack, contacts: 40, ["--all-active"])
            let api = try await APIClient.login(stack.endpoints.target)
            let (id, contacts) = try await Integration.campaignMarkedSent(stack, api, storedBy: "id DESC")
            #expect(contacts.count >= 10)
            return (stack, id, contacts)
        } catch {
            stack.down()
            throw error
        }
    }

    /// Holds a row (`hold`) while `events` start a statement that needs it: the statement must wait for it, and
    /// hold none of the rows `othersFree` locks without waiting.
    static func whileHeld(_ db: String, _ hold: String, othersFree: String, _ events: () async throws -> Void) async throws {
        let held = try PostgresConnection(url: db)
        try held.execute("BEGIN")
        try held.execute(hold)
        try await events()
        #expect(try await Integration.eventually(10) {
            try Integration.sql(db, "SELECT count(*) > 0 FROM pg_locks WHERE NOT granted AND locktype = 'transactionid'") == "t"
        }, "the statement waits for the held row")
        #expect(throws: Never.self, "the waiting statement holds no other row") { try held.execute(othersFree) }
        try held.execute("COMMIT")
    }

    /// Two instances on one database share a campaign's outbox: each batch is claimed by one of them, so both send
    /// and no recipient gets two messages.
    @Test func twoInstancesSendEachMessageOnce() async throws {
        let stack = try Stack.up(Integration.stackOptions())
        defer { stack.down() }
        try Integration.seed(stack, contacts: 20_000)
        let again = try Self.campaigndAgain(stack)
        defer { again.process.stop() }
        let api = try await APIClient.login(stack.endpoints.target)
        let id = try await Self.startCampaign(api)
        #expect(try await Self.waitSent(api, id))
        let recipients = Int(try Integration.sql(stack.endpoints.databaseURL!, "SELECT recipients FROM campaigns WHERE id = \(id)"))!
        let states = try Self.states(stack, id)
        #expect(recipients > 5000 && states == ["sent": recipients], "\(states)")
        let sink = Self.sinkStats(stack)
        #expect(sink.unique == recipients && sink.duplicates == 0, "unique \(sink.unique) of \(recipients), duplicates \(sink.duplicates)")
        func sent(_ base: String) async throws -> Int {
            let line = try await Integration.get(base + "/metrics").split(separator: "\n").first { $0.hasPrefix(#"campaignd_emails_total{result="sent"}"#) }
            return line.flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0
        }
        let (first, second) = (try await sent(stack.endpoints.target), try await sent(again.url))
        #expect(first > 0 && second > 0 && first + second == recipients, "sent \(first) + \(second) of \(recipients)")
    }

    @Test func killedMidSendResumesWithoutLoss() async throws {
        let stack = try Stack.up(Integration.stackOptions())
        defer { stack.down() }
        try Integration.seed(stack, contacts: 20_000)
        let api = try await APIClient.login(stack.endpoints.target)
        let id = try await Self.startCampaign(api)
        #expect(try await Integration.eventually(60) { Self.sinkStats(stack).accepted >= 1500 })
        kill(stack.pids["campaignd"]!, SIGKILL)
        let atKill = Self.sinkStats(stack).unique
        let again = try Self.campaigndAgain(stack)
        defer { again.process.stop() }
        let api2 = APIClient(base: again.url, token: api.token)
        #expect(try await Self.waitSent(api2, id))
        let recipients = Int(try Integration.sql(stack.endpoints.databaseURL!, "SELECT recipients FROM campaigns WHERE id = \(id)"))!
        let active = Int(try Integration.sql(stack.endpoints.databaseURL!, "SELECT count(*) FROM contacts WHERE tenant_id = 1 AND status = 'active'"))!
        let sink = Self.sinkStats(stack)
        #expect(recipients == active)
        #expect(atKill < recipients, "the kill came before the end")
        #expect(try Self.states(stack, id) == ["sent": recipients])
        // Nothing lost: every recipient reached the sink. Repeats are only what was in flight at the kill, and
        // the sink recognised each by its Message-ID.
        #expect(sink.unique == recipients)
        #expect(sink.duplicates <= 8 * 50, "duplicates \(sink.duplicates)")  // 8 SMTP sender threads, 50 rows each
    }
}
}
