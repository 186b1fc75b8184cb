import Foundation
import Testing
@testable import SystemUnderTest

@Suite struct PureLogicTests {
    /// A campaign written by hand reads back, through Foundation's JSON readers, as the campaign and as what
    /// JSONEncoder writes for it, whatever its strings hold.
    @Test func campaignJSONReadsBackAsJSONEncoderWritesIt() throws {
        for text in ["Spring launch", "a\"b\\c/d", "line\nbreak\t\r\u{01}\u{1f}", "é ü 日本 🚀", ""] {
            let c = Campaign(id: 9_007_199_254_740_993, name: text, subject: "re: " + text, status: "draft", createdAt: "2026-11-30T22:04:08Z")
            #expect(try JSONDecoder().decode(Campaign.self, from: Data(c.json.utf8)) == c, "\(c.json)")
            let mine = try JSONSerialization.jsonObject(with: Data(c.json.utf8)) as? NSDictionary
            let theirs = try JSONSerialization.jsonObject(with: JSONEncoder().encode(c)) as? NSDictionary
            #expect(mine != nil && mine == theirs, "\(c.json)")
        }
    }

    @Test func routeLabelsCollapseIdsAndTokens() {
        #expect(HTTPMetrics.unmatchedLabel(method: "GET") == "GET (unmatched)")
        #expect(HTTPMetrics.unmatchedLabel(method: "BREW") == "OTHER (unmatched)", "a made-up method is not a label of its own")
    }

    /// Another instance's invalidation names its keys; one's own, or a message without keys, is ignored.
    @Test func invalidationMessagesNameOtherInstancesKeys() {
        #expect(L1Invalidation.keys(in: "b\ncampaign:1:7\nstats:1", from: "a") == ["campaign:1:7", "stats:1"])
        #expect(L1Invalidation.keys(in: "a\ncampaign:1:7", from: "a") == nil)
        #expect(L1Invalidation.keys(in: "b", from: "a") == nil)
    }

    /// An outage or a timeout is the database's fault (503, retry); bad data is the statement's (no retry helps).
    @Test func databaseErrorsAreSortedByWhoseFaultTheyAre() {
        for state in ["08006", "08001", "57P01", "57P03", "53300", "57014"] {
            let e = DatabaseError(message: "x", sqlState: state)
            #expect(e.isUnavailable && !e.isPersistent, "\(state)")
            #expect(APIError.unavailable(e)?.status == .serviceUnavailable && APIError.unavailable(e)?.retryAfter == 1)
        }
        for state in ["22007", "22008", "23505", "42703"] {
            let e = DatabaseError(message: "x", sqlState: state)
            #expect(!e.isUnavailable && e.isPersistent, "\(state)")
            #expect(APIError.unavailable(e) == nil)
        }
        #expect(!DatabaseError(message: "x", sqlState: nil).isUnavailable && DatabaseError.connectionLost("x").isUnavailable)
        #expect(APIError.unavailable(PoolError.acquireTimeout)?.status == .serviceUnavailable)
        #expect(APIError.unavailable(PoolError.shutDown) == nil)
    }

    @Test func delayKnobParses() throws {
        let d = try InjectedDelays(["GET /api/stats=20", "*=1.5"])
        #expect(d.delay(for: "GET /api/stats") == .milliseconds(20))
        #expect(d.delay(for: "POST /x") == .microseconds(1500))
        #expect(throws: ConfigError.self) { try InjectedDelays(["GET /x"]) }
        #expect(throws: ConfigError.self) { try InjectedDelays(["GET /x=-1"]) }
    }

    @Test func sessionsEncodeCompactly() {
        let s = Session(userID: 12, tenantID: 3)
        #expect(Session(encoded: s.encoded) == s)
        #expect(Session(encoded: "garbage") == nil)
        let t = SessionService.newToken()
        #expect(t.count == 64 && t.allSatisfy(\.isHexDigit))
    }

    @Test func latencyRecorderBuckets() {
        let r = LatencyRecorder()
        for _ in 0..<99 { r.record(nanos: 1_500_000) }  // 1.5 ms: bucket [1024, 2048) µs
        r.record(nanos: 40_000_000)
        #expect(r.upperBoundMillis(at: 50) == 2.048)
        #expect(r.upperBoundMillis(at: 100) == 65.536)
    }

    @Test func redisURLsAreValidated() {
        #expect(throws: CacheError.self) { try RedisCache.parse("http://x") }
        #expect(throws: CacheError.self) { try RedisCache.parse("redis://h:port") }
        #expect(try! RedisCache.parse("redis://127.0.0.1:7000") == ("127.0.0.1", 7000))
        #expect(throws: CacheError.self) { try RedisCache.parse("redis://h:99999") }
    }

    /// Every URL and knob campaignd takes is checked before it connects to anything: a bad one is exit 2 naming
    /// it, not exit 3 (database down) or a failure after migrations ran.
    @Test func configIsCheckedBeforeConnecting() throws {
        func config(_ change: (inout CampaignConfig) -> Void) -> CampaignConfig {
            // Port 1: nothing listens, so a check that connected would fail differently.
            var c = CampaignConfig(databaseURL: "postgresql://postgres@127.0.0.1:1/x", redisURL: "redis://127.0.0.1:1")
            c.webhookSecret = "0123456789abcdef"
            change(&c)
            return c
        }
        try config { _ in }.check()
        try config { $0.sender = SenderConfig(mailURL: "smtp://[::1]:2525"); $0.publicURL = "https://mail.example:8443/t" }.check()
        try config { $0.sender = SenderConfig(mailURL: "http://127.0.0.1:9/v3/mail/send"); $0.databaseURL = "host=/tmp port=5432 dbname=x" }.check()
        let bad: [(String, (inout CampaignConfig) -> Void)] = [
            ("webhook secret", { $0.webhookSecret = "short" }),
            ("--database-url 'host=x bogus'", { $0.databaseURL = "host=x bogus" }),
            ("--database-url 'postgresql://h/x?foo=1'", { $0.databaseURL = "postgresql://h/x?foo=1" }),
            ("redis URL 'redis://h:99999'", { $0.redisURL = "redis://h:99999" }),
            ("--mail-url 'ftp://x'", { $0.sender = SenderConfig(mailURL: "ftp://x") }),
            ("--mail-url 'http://'", { $0.sender = SenderConfig(mailURL: "http://") }),
            ("--mail-url 'smtp://h:99999'", { $0.sender = SenderConfig(mailURL: "smtp://h:99999") }),
            ("--public-url 'notaurl'", { $0.publicURL = "notaurl" }),
            ("--inject-cpu", { $0.injectCPU = ["GET /x=-1"] }),
        ]
        for (culprit, change) in bad {
            #expect(throws: (any Error).self, "\(culprit)") { try config(change).check() }
            do { try config(change).check() } catch { #expect("\(error)".contains(culprit), "\(error)") }
        }
    }
}

@Suite struct WorkerPoolTests {
    final class Conn: @unchecked Sendable {
        var broken = false
    }

    /// An idle worker checks its connection and replaces a broken one before the next job, instead of failing it.
    @Test func idleHealthCheckReplacesABrokenResource() async throws {
        let made = Tally()
        let pool = BlockingWorkerPool<Conn>(name: "t", threads: 1, acquireTimeout: 5, idleCheckSeconds: 0.05,
                                            healthCheck: { !$0.broken }) { made.add(); return Conn() }
        defer { pool.shutdown() }
        try await pool.run { c in c!.broken = true }  // breaks the connection, as a server restart would
        try await Task.sleep(for: .milliseconds(300))
        let healthy = try await pool.run { c in !c!.broken }
        #expect(healthy && made.load() == 2)
    }
}

@Suite struct MethodTableTests {
    @Test func pathsAreMatchedByShape() {
        let t = MethodTable()
        t.fill([("GET", "/api/campaigns/{id}"), ("PATCH", "/api/campaigns/{id}"), ("GET", "/api/stats"), ("GET", "/t/o/:token"),
                ("GET", "/api/segments/{id}"), ("POST", "/api/segments/preview")])
        #expect(t.methods(for: "/api/segments/preview") == ["POST"] && t.methods(for: "/api/segments/3") == ["GET"])
        #expect(t.methods(for: "/api/campaigns/12") == ["GET", "PATCH"])
        #expect(t.methods(for: "/api/stats") == ["GET"] && t.methods(for: "/t/o/abc") == ["GET"])
        #expect(t.methods(for: "/api/nothing").isEmpty && t.methods(for: "/api/campaigns/12/x").isEmpty)
    }
}
