import Foundation
import Testing
import Harness
import Environment
import SystemUnderTest

extension SharedMachine {
/// campaignd riding out faults of its dependencies, of its provider and of its own process, on the real servers.
@Suite struct FaultToleranceTests {
    typealias Send = SendIntegrationTests
    static let campaign = ["name": "faults", "subject": "Hello", "template": Send.template]

    static func count(_ stack: Stack, _ query: String) throws -> Int { Int(try Integration.sql(stack.endpoints.databaseURL!, query)) ?? -1 }

    @Test func sigtermMidSendLosesAndRepeatsNothing() async throws {
        let stack = try Stack.up(Integration.stackOptions())
        defer { stack.down() }
        try Integration.seed(stack, contacts: 20_000)
        let api = try await APIClient.login(stack.endpoints.target)
        let id = try await Send.startCampaign(api)
        #expect(try await Integration.eventually(60) { Send.sinkStats(stack).accepted >= 1500 })
        kill(stack.pids["campaignd"]!, SIGTERM)
        #expect(try await Integration.eventually(30) { stack.deadServer == "campaignd" }, "campaignd did not exit on SIGTERM")
        // Each sender thread committed the batch it had handed over: what the sink holds is what is marked sent.
        let atExit = Send.sinkStats(stack)
        let sentAtExit = try Self.count(stack, "SELECT count(*) FROM email_sends WHERE campaign_id = \(id) AND status = 'sent'")
        #expect(atExit.unique == sentAtExit && atExit.duplicates == 0, "sink \(atExit.unique), sent \(sentAtExit)")

        let again = try Send.campaigndAgain(stack)
        defer { again.process.stop() }
        #expect(try await Send.waitSent(APIClient(base: again.url, token: api.token), id))
        let recipients = try Self.count(stack, "SELECT recipients FROM campaigns WHERE id = \(id)")
        let sink = Send.sinkStats(stack)
        #expect(sentAtExit < recipients, "SIGTERM came before the end")
        #expect(sink.unique == recipients && sink.duplicates == 0, "unique \(sink.unique) of \(recipients), duplicates \(sink.duplicates)")
    }

    @Test func aStatementStuckOnALockAnswers503WithRetryAfter() async throws {
        let options = Integration.stackOptions(["--statement-timeout-ms", "300"])
        let stack = try Stack.up(options)
        defer { stack.down() }
        try Integration.seed(stack, contacts: 100)
        let api = try await APIClient.login(stack.endpoints.target)
        let db = stack.endpoints.databaseURL!
        // Another session holds the campaigns table for 3 s: an insert waits on the lock until its statement times out.
        let holder = Task.detached { try Integration.sql(db, "BEGIN; LOCK TABLE campaigns IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(3); COMMIT") }
        #expect(try await Integration.eventually(5) {
            try Self.count(stack, "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'campaigns' AND l.mode = 'AccessExclusiveLock'") > 0
        })
        let stuck = try await api.call("POST", "/api/campaigns", json: Self.campaign)
        #expect(stuck.status == 503 && stuck.header("Retry-After") == "1", "\(stuck.status) \(stuck.text)")
        _ = try await holder.value
        #expect(try await api.call("POST", "/api/campaigns", json: Self.campaign).status == 201)
    }

    @Test func aDatabaseOutageAnswers503WithRetryAfter() async throws {
        let stack = try Stack.up(Integration.stackOptions())
        defer { stack.down() }
        try Integration.seed(stack, contacts: 100)
        let api = try await APIClient.login(stack.endpoints.target)
        kill(stack.pids["postgres"]!, SIGINT)  // fast shutdown: sessions are cut, new connections refused
        #expect(try await Integration.eventually(15) { stack.deadServer == "postgres" })
        let r = try await api.call("POST", "/api/campaigns", json: Self.campaign)
        #expect(r.status == 503 && r.header("Retry-After") == "1", "\(r.status) \(r.text)")
        #expect(try await APIClient(base: stack.endpoints.target).call("GET", "/health").status == 503)
    }

    /// Stops PostgreSQL, then opens each message of a campaign marked sent once: pixels answer from memory. Returns
    /// the campaign, the number of opens, and a logged-in client.
    static func openWhileTheDatabaseIsDown(_ stack: Stack) async throws -> (campaign: Int, opens: Int, api: APIClient) {
        try Integration.seed(stack, contacts: 30, ["--all-active"])
        let api = try await APIClient.login(stack.endpoints.target)
        let (id, contacts) = try await Integration.campaignMarkedSent(stack, api)
        #expect(contacts.count >= 10)
        let tokens = try Integration.trackingTokens(stack.endpoints.databaseURL!)
        try await stack.begin(Self.postgresDown)
        let anon = APIClient(base: stack.endpoints.target)
        for k in contacts {
            #expect(try await anon.call("GET", "/t/o/\(tokens.open(MessageIdentity(campaign: Int64(id), contact: k)))").status == 200)
        }
        try await Task.sleep(for: .milliseconds(600))  // several flushes (every 100 ms) fail meanwhile
        return (id, contacts.count, api)
    }

    /// PostgreSQL's fast shutdown, through the stack's own fault runner: `end` starts it again on its port and data.
    static let postgresDown = FaultSpec(component: .postgres, action: .restart, start: 0)

    /// The opens of an outage are written when the database is back, and none is counted dropped.
    @Test func opensDuringADatabaseOutageAreRecordedWhenItReturns() async throws {
        let stack = try Stack.up(Integration.stackOptions())
        defer { stack.down() }
        let (id, opens, api) = try await Self.openWhileTheDatabaseIsDown(stack)
        try await stack.end(Self.postgresDown)
        #expect(try await Integration.eventually(15) {
            try Self.count(stack, "SELECT count(*) FROM email_sends WHERE campaign_id = \(id) AND opened_at IS NOT NULL") == opens
        }, "every open of the outage recorded")
        #expect(try Self.count(stack, "SELECT count(*) FROM events WHERE campaign_id = \(id)") == opens)
        let metrics = try await api.call("GET", "/metrics").text
        #expect(metrics.contains("campaignd_events_dropped_total 0"), "\(metrics.split(separator: "\n").filter { $0.contains("events_") })")
    }

    /// Told to stop while the database is away, campaignd waits for it (within its drain budget) to write the opens.
    @Test func opensBufferedAtAStopWaitForTheDatabase() async throws {
        let stack = try Stack.up(Integration.stackOptions())
        defer { stack.down() }
        let (id, opens, _) = try await Self.openWhileTheDatabaseIsDown(stack)
        kill(stack.pids["campaignd"]!, SIGTERM)
        try await Task.sleep(for: .seconds(1))
        // PostgreSQL is down on plan, so the stack names campaignd alone once it exits.
        #expect(stack.deadServer == nil, "campaignd waits for the database")
        try await stack.end(Self.postgresDown)
        #expect(try await Integration.eventually(20) { stack.deadServer == "campaignd" }, "campaignd exits once the opens are written")
        #expect(try Self.count(stack, "SELECT count(*) FROM events WHERE campaign_id = \(id)") == opens)
    }

    @Test func afterAPostgresRestartNoRequestFails() async throws {
        let stack = try Stack.up(Integration.stackOptions())
        defer { stack.down() }
        try Integration.seed(stack, contacts: 100)
        let api = try await APIClient.login(stack.endpoints.target)
        // Every pool connection in use once, so each one is broken by the restart.
        for _ in 0..<40 {  // paced under the per-user rate limit (100/s)
            #expect(try await api.call("POST", "/api/campaigns", json: Self.campaign).status == 201)
            try await Task.sleep(for: .milliseconds(15))
        }
        kill(stack.pids["postgres"]!, SIGINT)
        #expect(try await Integration.eventually(15) { stack.deadServer == "postgres" })
        #expect(try await api.call("POST", "/api/campaigns", json: Self.campaign).status == 503)
        let port = URLComponents(string: stack.endpoints.databaseURL!)!.port!
        let pg = try PostgresServer(directory: stack.directory, memoryBytes: Machine.current.memoryBytes, port: port)
        defer { pg.process.stop() }
        // A connection the restart closed is replaced before it is used: from the first request on, none fails.
        var statuses: [Int] = []
        for _ in 0..<40 {
            statuses.append(try await api.call("POST", "/api/campaigns", json: Self.campaign).status)
            try await Task.sleep(for: .milliseconds(15))
        }
        #expect(statuses.allSatisfy { $0 == 201 }, "\(statuses)")
    }

    @Test func aWebhookTheDatabaseRejectsIsParkedAndTheRestAreApplied() async throws {
        let stack = try Stack.up(Integration.stackOptions())
        defer { stack.down() }
        try Integration.seed(stack, contacts: 200)
        let api = try await APIClient.login(stack.endpoints.target)
        let id = try await Send.startCampaign(api)
        #expect(try await Send.waitSent(api, id))
        let db = stack.endpoints.databaseURL!
        let contacts = try Integration.sql(db, "SELECT contact_id FROM email_sends WHERE campaign_id = \(id) ORDER BY contact_id LIMIT 2")
            .split(separator: "\n").map(String.init)
        // Queued ahead of a good one, as a provider's retry or another instance could leave it.
        _ = try Integration.sql(db, """
            INSERT INTO webhook_queue (priority, payload, items) VALUES (1, '[{"e": "delivered", "c": \(id), "k": \(contacts[0]), "t": "yesterday-ish"}]', 1)
            """)
        let hook = [["event": "delivered", "message_id": "<\(id).\(contacts[1])@campaignd.mailstorm>", "timestamp": Date().timeIntervalSince1970]]
        let queued = try await APIClient(base: stack.endpoints.target).webhook(hook)
        #expect(queued.status == 202)
        #expect(try await Integration.eventually(10) {
            try Self.count(stack, "SELECT count(*) FROM email_sends WHERE campaign_id = \(id) AND contact_id = \(contacts[1]) AND delivered_at IS NOT NULL") == 1
        })
        #expect(try Integration.sql(db, "SELECT status || ': ' || error FROM webhook_queue WHERE payload::text LIKE '%yesterday-ish%'")
            .contains("invalid input syntax"))
        // The route itself refuses a timestamp no database holds.
        let far = [["event": "delivered", "message_id": "<\(id).\(contacts[1])@campaignd.mailstorm>", "timestamp": 1e15]]
        let refused = try await APIClient(base: stack.endpoints.target).webhook(far)
        #expect(refused.status == 400 && refused.json["field"] as? String == "[0].timestamp")
    }

    @Test func aCampaignThatCannotBeResolvedFailsAndTheOthersSend() async throws {
        let stack = try Stack.up(Integration.stackOptions())
        defer { stack.down() }
        try Integration.seed(stack, contacts: 300)
        let api = try await APIClient.login(stack.endpoints.target)
        // A segment whose stored rule no longer parses (written by an older version, say).
        let segment = try Integration.sql(stack.endpoints.databaseURL!,
                                          "INSERT INTO segments (tenant_id, name, conditions) VALUES (1, 'broken', '{\"bogus\": 1}') RETURNING id")
            .split(separator: "\n")[0]
        let bad = try await api.call("POST", "/api/campaigns", json: Self.campaign).json["id"] as! Int
        #expect(try await api.call("PATCH", "/api/campaigns/\(bad)", json: ["segment_id": Int(segment)!]).status == 200)
        #expect(try await api.call("POST", "/api/campaigns/\(bad)/send").status == 202)
        let good = try await Send.startCampaign(api)
        #expect(try await Send.waitSent(api, good))
        #expect(try await Integration.eventually(15) {
            try await api.call("GET", "/api/campaigns/\(bad)").json["status"] as? String == "failed"
        })
        let failure = try await api.call("GET", "/api/campaigns/\(bad)").json["failure"] as? String ?? ""
        #expect(failure.hasPrefix("recipient resolution failed"), "\(failure)")
    }

    @Test func theSendRateSurvivesARedisRestart() async throws {
        let options = Integration.stackOptions(["--send-rate", "500"])
        let stack = try Stack.up(options)
        defer { stack.down() }
        try Integration.seed(stack, contacts: 3000)
        let api = try await APIClient.login(stack.endpoints.target)
        let id = try await Send.startCampaign(api)
        #expect(try await Integration.eventually(30) { Send.sinkStats(stack).accepted >= 300 })
        let port = Int(stack.endpoints.redisURL!.split(separator: ":").last!)!
        kill(stack.pids["redis"]!, SIGKILL)
        #expect(try await Integration.eventually(10) { stack.deadServer == "redis" })
        let before = Send.sinkStats(stack).accepted
        let redis = try RedisServer(directory: stack.directory + "/redis-again", port: port)
        defer { redis.process.stop() }
        #expect(try await Send.waitSent(api, id, seconds: 60), "sending stopped at \(before) after Redis came back")
    }

    @Test func aProviderRefusingWholeRequestsBouncesNobody() async throws {
        var options = Integration.stackOptions()
        options.transport = .http
        options.faults.refuseStatus = 401
        options.campaigndArguments = ["--retry-base-ms", "20", "--max-attempts", "20"]
        let stack = try Stack.up(options)
        defer { stack.down() }
        try Integration.seed(stack, contacts: 600)
        let api = try await APIClient.login(stack.endpoints.target)
        let id = try await Send.startCampaign(api)
        #expect(try await Integration.eventually(20) {
            try Self.count(stack, "SELECT count(*) FROM email_sends WHERE campaign_id = \(id) AND last_error = 'http 401'") > 0
        })
        #expect(try Self.count(stack, "SELECT count(*) FROM email_sends WHERE campaign_id = \(id) AND status <> 'queued'") == 0)
        // The key works again: the breaker's probe finds out, and everyone is sent.
        stack.sink!.faults = FaultPlan()
        #expect(try await Send.waitSent(api, id, seconds: 60))
        let recipients = try Self.count(stack, "SELECT recipients FROM campaigns WHERE id = \(id)")
        #expect(try Send.states(stack, id) == ["sent": recipients])
    }
}
}
