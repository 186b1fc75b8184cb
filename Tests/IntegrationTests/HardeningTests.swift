import Foundation
import Testing
import Harness
import Environment
import SystemUnderTest

extension SharedMachine {
/// campaignd against hostile input, on the real servers: each test first failed against the code before it.
@Suite struct HardeningTests {
    static func anon(_ stack: Stack) -> APIClient { APIClient(base: stack.endpoints.target) }

    /// Failed logins are counted per email (and per address): past 10, that email gets 429 with Retry-After,
    /// even with the right password, and no bcrypt is spent on it. Other users log in as before.
    @Test func failedLoginsAreThrottledPerEmail() async throws {
        let stack = try Stack.up(Integration.stackOptions())
        defer { stack.down() }
        try Integration.seed(stack, contacts: 10)
        let anon = Self.anon(stack)
        func login(_ email: String, _ password: String) async throws -> CampaignAPI.Reply {
            try await anon.call("POST", "/api/login", json: ["email": email, "password": password])
        }
        for _ in 0..<10 { #expect(try await login("user1@tenant1.example", "wrong").status == 401) }
        let locked = try await login("user1@tenant1.example", "mailstorm-pass")
        #expect(locked.status == 429 && locked.header("Retry-After") == "900", "\(locked.status) \(locked.text)")
        #expect(try await login("user2@tenant1.example", "mailstorm-pass").status == 200)
        #expect(try await login("nobody@nowhere.example", "x").status == 401)
    }

    /// An unknown email costs one bcrypt as a known one does: campaignd checks it against a dummy hash of the
    /// same cost. Counted where it cannot be timed wrong: PostgreSQL's own count of crypt() calls.
    @Test func unknownEmailsDoTheSameWork() async throws {
        let stack = try Stack.up(Integration.stackOptions())
        defer { stack.down() }
        try Integration.seed(stack, contacts: 10)
        let db = stack.endpoints.databaseURL!
        let dummy = try Integration.sql(db, "SELECT value FROM server_secrets WHERE name = 'login_dummy'")
        #expect(dummy.hasPrefix("$2a$06$"), "bcrypt at seed cost 6: \(dummy)")
        _ = try Integration.sql(db, "ALTER SYSTEM SET track_functions = 'all'")
        _ = try Integration.sql(db, "SELECT pg_reload_conf()")
        let anon = Self.anon(stack)
        func crypts() throws -> Int { Int(try Integration.sql(db, "SELECT coalesce(sum(calls), 0) FROM pg_stat_user_functions WHERE funcname = 'crypt'")) ?? -1 }
        for (email, password, status) in [("user3@tenant1.example", "wrong", 401), ("ghost@nowhere.example", "x", 401), ("user4@tenant1.example", "mailstorm-pass", 200)] {
            try await Task.sleep(for: .seconds(1))  // a new reload reaches campaignd's connections; stats flush
            let before = try crypts()
            #expect(try await anon.call("POST", "/api/login", json: ["email": email, "password": password]).status == status)
            let ran = try await Integration.eventually(5) { try crypts() == before + 1 }
            #expect(ran, "\(email): crypt() ran \((try? crypts()).map { $0 - before } ?? -1) times")
        }
    }

    /// Sessions are stored as SHA-256 of their token, in PostgreSQL and Redis; one read back from PostgreSQL
    /// is cached only for what it has left; expired ones are purged.
    @Test func sessionsAreHashedExpireOnTimeAndArePurged() async throws {
        let stack = try Stack.up(Integration.stackOptions())
        defer { stack.down() }
        try Integration.seed(stack, contacts: 10)
        let db = stack.endpoints.databaseURL!
        let api = try await APIClient.login(stack.endpoints.target)
        let token = api.token!
        #expect(try Integration.sql(db, "SELECT count(*) FROM sessions WHERE token = '\(token)'") == "0", "the token itself is not stored")
        let key = Crypto.sha256Hex(token)
        #expect(try Integration.sql(db, "SELECT count(*) FROM sessions WHERE token = '\(key)'") == "1")
        // Two seconds left, and gone from Redis: the fallback reads PostgreSQL and caches for those two seconds.
        _ = try Integration.sql(db, "UPDATE sessions SET expires_at = now() + interval '2 seconds' WHERE token = '\(key)'")
        let redis = stack.endpoints.redisURL!
        _ = try ManagedProcess.runToEnd("/usr/bin/redis-cli", ["-u", redis, "DEL", "session:\(key)"])
        try await Task.sleep(for: .seconds(6))  // past the L1 cache's 5 s cap
        _ = try Integration.sql(db, "UPDATE sessions SET expires_at = now() + interval '2 seconds' WHERE token = '\(key)'")
        #expect(try await api.call("GET", "/api/campaigns").status == 200)
        let ttl = Int(try ManagedProcess.runToEnd("/usr/bin/redis-cli", ["-u", redis, "TTL", "session:\(key)"]).output
            .trimmingCharacters(in: .whitespacesAndNewlines)) ?? -9
        #expect((1...2).contains(ttl), "re-cached for what it had left, not a day: TTL \(ttl)")
        try await Task.sleep(for: .seconds(6))
        #expect(try await api.call("GET", "/api/campaigns").status == 401)
        // The purge (campaignd runs it every minute) deletes what expired.
        let store = PostgresCampaignStore(db: Database(url: db, size: 1))
        #expect(try await store.purgeSessions(limit: 100) >= 1)
        #expect(try Integration.sql(db, "SELECT count(*) FROM sessions WHERE expires_at <= now()") == "0")
        store.db.shutdown()
    }

    /// A bounce must name a message campaignd sent to that contact: a bounce for another tenant's contact,
    /// or for a send that never happened, bounces no one.
    @Test func aBounceForAnotherTenantsContactBouncesNoOne() async throws {
        let stack = try Stack.up(Integration.stackOptions())
        defer { stack.down() }
        try Integration.seed(stack, contacts: 20)
        let db = stack.endpoints.databaseURL!
        let api = try await APIClient.login(stack.endpoints.target)
        let id = try await api.expect(201, "POST", "/api/campaigns", json: ["name": "x", "subject": "y"]).json["id"] as! Int
        let other = try Integration.sql(db, "SELECT c.id FROM contacts c JOIN tenants t ON t.id = c.tenant_id WHERE t.name <> 'tenant1' LIMIT 1")
        let hook = [["event": "bounced", "message_id": "<\(id).\(other)@campaignd.mailstorm>"]]
        let r = try await Self.anon(stack).webhook(hook)
        #expect(r.status == 202)
        #expect(try await Integration.eventually(5) { try Integration.sql(db, "SELECT count(*) FROM webhook_queue WHERE status = 'pending'") == "0" })
        #expect(try Integration.sql(db, "SELECT status FROM contacts WHERE id = \(other)") == "active")
    }

    /// Text cannot hold a NUL: an import with one is refused naming its line, and a JSON string with one is 400,
    /// never a silently shortened row or a 500.
    @Test func nulBytesAreRefusedNotCutShort() async throws {
        let stack = try Stack.up(Integration.stackOptions())
        defer { stack.down() }
        try Integration.seed(stack, contacts: 10)
        let api = try await APIClient.login(stack.endpoints.target)
        let csv = "email,first_name\nok1@x.example,Ann\nnul@x.example,Bo\u{0}b\nok2@x.example,Cy\n"
        let r = try await api.call("POST", "/api/contacts/import", body: Data(csv.utf8), contentType: "text/csv")
        #expect(r.status == 400 && r.text.contains("NUL") && r.text.contains("3"), "\(r.status) \(r.text)")
        let c = try await api.call("POST", "/api/campaigns", json: ["name": "a\u{0}b", "subject": "s"])
        #expect(c.status == 400 && c.text.contains("NUL"), "\(c.status) \(c.text)")
    }

    /// Paths no route matches share one metrics label per method: a scanner cannot grow /metrics.
    @Test func unmatchedPathsDoNotBecomeLabels() async throws {
        let stack = try Stack.up(Integration.stackOptions())
        defer { stack.down() }
        let anon = Self.anon(stack)
        for i in 0..<20 { #expect(try await anon.call("GET", "/probe-\(i)/x\(i)").status == 404) }
        let metrics = try await Integration.get(stack.endpoints.target + "/metrics")
        #expect(!metrics.contains("probe-"), "paths as labels")
        #expect(metrics.contains("GET (unmatched)"))
    }

    /// SQL of many shapes (segment previews) keeps at most the cache's size prepared on a connection: the
    /// evicted ones are deallocated in PostgreSQL too, and an evicted statement is prepared again when it returns.
    @Test func preparedStatementsStayBounded() throws {
        let stack = try Stack.up(Integration.stackOptions())
        defer { stack.down() }
        let conn = try PostgresConnection(url: stack.endpoints.databaseURL!, statementCacheSize: 4)
        for i in 0..<40 { #expect(try conn.query("SELECT $1::int + \(i)", ["1"]).rows.first?.first == "\(1 + i)") }
        #expect(try conn.query("SELECT $1::int + 0", ["2"]).rows.first?.first == "2", "an evicted statement comes back")
        let held = Int(try conn.query("SELECT count(*) FROM pg_prepared_statements WHERE $1::int = 1", ["1"]).rows.first?.first.flatMap { $0 } ?? "") ?? 99
        #expect(held <= 4, "prepared in the backend: \(held)")
    }

    /// A connection that sends nothing is closed after the idle timeout, so idle sockets cannot pile up.
    @Test func anIdleConnectionIsClosed() throws {
        let options = Integration.stackOptions(["--idle-timeout-s", "1"])
        let stack = try Stack.up(options)
        defer { stack.down() }
        let port = try #require(URLComponents(string: stack.endpoints.target)?.port)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        try #require(rc == 0)
        var tv = timeval(tv_sec: 10, tv_usec: 0)  // far past the 1 s timeout; without one, recv would wait all 10 s and fail
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var byte: UInt8 = 0
        #expect(recv(fd, &byte, 1, 0) == 0, "campaignd closed the idle connection (EOF), errno \(errno)")
    }

    /// campaignd refuses to start without a webhook secret of its own (exit 2, naming it).
    @Test func campaigndNeedsAWebhookSecret() throws {
        let stack = try Stack.up(Integration.stackOptions())
        defer { stack.down() }
        for extra in [[String](), ["--webhook-secret", "short"]] {
            let r = try ManagedProcess.runToEnd(Integration.binary("campaignd"), ["serve", "--port", "0", "--database-url", stack.endpoints.databaseURL!,
                                                                                 "--redis-url", stack.endpoints.redisURL!] + extra)
            #expect(r.status == 2 && r.output.contains("webhook secret"), "\(r.status) \(r.output)")
        }
        // A bad flag value exits 2 as well (ArgumentParser's own code is 64), naming the flag.
        for (flag, value) in [("--db-pool", "0"), ("--login-concurrency", "999"), ("--send-threads", "x"), ("--handlers-on", "threads")] {
            let r = try ManagedProcess.runToEnd(Integration.binary("campaignd"), ["serve", "--webhook-secret", "0123456789abcdef", flag, value])
            #expect(r.status == 2 && r.output.contains(flag), "\(flag) \(value): \(r.status) \(r.output)")
        }
    }
}
}
