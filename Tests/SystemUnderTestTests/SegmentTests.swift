import Foundation
import Testing
@testable import SystemUnderTest

@Suite struct SegmentTests {
    func parse(_ json: String) throws(SegmentError) -> SegmentRule { try SegmentRule.parse(data: Data(json.utf8)) }

    @Test func compilesEachSeed004ConditionToParameters() throws {
        let rule = try parse("""
            {"any": [
              {"all": [{"field": "email", "op": "ends_with", "value": "@Acme.com"}, {"field": "tags", "op": "not_contains", "value": "vip"}]},
              {"field": "company", "op": "contains", "value": "50%_off"},
              {"field": "created_at", "op": "between", "value": ["2025-01-01", "2025-06-30T12:00:00Z"]},
              {"field": "custom_fields.plan", "op": "equals", "value": "pro"},
              {"field": "custom_fields.seats", "op": "equals", "value": 5},
              {"field": "source", "op": "not_equals", "value": "api"}
            ]}
            """)
        let sql = SegmentSQL(rule, firstParam: 2)
        #expect(sql.predicate == "((email LIKE $2 AND NOT (tags @> ARRAY[$3]::text[])) OR company ILIKE $4 OR created_at BETWEEN $5::timestamptz AND $6::timestamptz OR custom_fields @> $7::jsonb OR custom_fields @> $8::jsonb OR source IS DISTINCT FROM $9)")
        #expect(sql.params == ["%@acme.com", "vip", "%50\\%\\_off%", "2025-01-01", "2025-06-30T12:00:00Z", "{\"plan\":\"pro\"}", "{\"seats\":5}", "api"])
    }

    /// Only a rule every match of which contains an email substring is searched through the trigram index.
    @Test func requiresAnEmailSubstringOnlyWhenEveryMatchHasOne() throws {
        let sub = #"{"field": "email", "op": "contains", "value": "smith9"}"#, tag = #"{"field": "tags", "op": "contains", "value": "vip"}"#
        #expect(try parse(sub).requiresEmailSubstring)
        #expect(try parse(#"{"field": "email", "op": "ends_with", "value": "@x.org"}"#).requiresEmailSubstring)
        #expect(try parse(#"{"all": [\#(tag), \#(sub)]}"#).requiresEmailSubstring)
        #expect(try parse(#"{"any": [\#(sub), \#(sub)]}"#).requiresEmailSubstring)
        #expect(try !parse(#"{"any": [\#(tag), \#(sub)]}"#).requiresEmailSubstring)
        #expect(try !parse(#"{"field": "email", "op": "equals", "value": "a@b.c"}"#).requiresEmailSubstring)
        #expect(try !parse(#"{"all": []}"#).requiresEmailSubstring && !parse(#"{"any": []}"#).requiresEmailSubstring)
    }

    /// The trigram candidates exist exactly for the rules that require an email substring, and share its parameter.
    @Test func emailCandidatesFollowTheRule() throws {
        let sub = #"{"field": "email", "op": "contains", "value": "smith9"}"#, tag = #"{"field": "tags", "op": "contains", "value": "vip"}"#
        let end = #"{"field": "email", "op": "ends_with", "value": "@x.org"}"#, eq = #"{"field": "email", "op": "equals", "value": "a@b.c"}"#
        for json in [sub, end, tag, eq, #"{"all": [\#(tag), \#(sub)]}"#, #"{"any": [\#(sub), \#(end)]}"#, #"{"any": [\#(tag), \#(sub)]}"#,
                     #"{"all": [{"any": [\#(sub), \#(tag)]}, \#(eq)]}"#, #"{"all": []}"#, #"{"any": []}"#] {
            let rule = try parse(json)
            #expect((SegmentSQL(rule).emailCandidates != nil) == rule.requiresEmailSubstring, "\(json)")
        }
        let all = SegmentSQL(try parse(#"{"all": [\#(tag), \#(sub)]}"#), firstParam: 5)
        #expect(all.predicate == "(tags @> ARRAY[$5]::text[] AND email LIKE $6)" && all.params == ["vip", "%smith9%"])
        #expect(all.emailCandidates == "SELECT id FROM contact_search WHERE email LIKE $6")
        let any = SegmentSQL(try parse(#"{"any": [\#(sub), \#(end)]}"#), firstParam: 2)
        #expect(any.emailCandidates == "SELECT id FROM contact_search WHERE email LIKE $2 UNION SELECT id FROM contact_search WHERE email LIKE $3")
        #expect(any.params == ["%smith9%", "%@x.org"])
    }

    @Test func emptyGroupsAreTrueAndFalse() throws {
        #expect(SegmentSQL(try parse("{\"all\": []}")).predicate == "TRUE")
        #expect(SegmentSQL(try parse("{\"any\": []}")).predicate == "FALSE")
    }

    @Test func errorsNameThePath() {
        func path(_ json: String) -> String? {
            do { _ = try parse(json); return nil } catch { return error.path }
        }
        #expect(path("{\"all\": [{\"field\": \"email\", \"op\": \"starts_with\", \"value\": \"a\"}]}") == "conditions.all[0].op")
        #expect(path("{\"all\": [{\"any\": [{\"field\": \"phone\", \"op\": \"equals\", \"value\": \"1\"}]}]}") == "conditions.all[0].any[0].field")
        #expect(path("{\"field\": \"created_at\", \"op\": \"after\", \"value\": \"last tuesday\"}") == "conditions.value")
        #expect(path("{\"field\": \"created_at\", \"op\": \"between\", \"value\": [\"2025-01-01\"]}") == "conditions.value")
        #expect(path("{\"field\": \"email\", \"op\": \"equals\"}") == "conditions.value")
        #expect(path("{\"all\": {}}") == "conditions.all")
        #expect(path("{\"field\": \"custom_fields.a b\", \"op\": \"equals\", \"value\": 1}") == "conditions.field")
        #expect(path("[1]") == "conditions")
        let deep = String(repeating: "{\"all\": [", count: 8) + String(repeating: "]}", count: 8)
        #expect(path(deep) != nil)
    }

    /// Hostile trees: empty groups count towards the limit, a group holds at most 8 items, a condition has no
    /// other keys, and true or false is not a value (on Linux NSNumber(1) is Bool, so the type is what tells).
    @Test func hostileTreesAreRefused() throws {
        func path(_ json: String) -> String? {
            do { _ = try parse(json); return nil } catch { return error.path }
        }
        let empties = "{\"all\": [" + Array(repeating: "{\"any\": [" + Array(repeating: "{\"all\": []}", count: 8).joined(separator: ",") + "]}", count: 8)
            .joined(separator: ",") + "]}"
        #expect(path(empties) != nil, "73 empty groups")
        #expect(path("{\"any\": [" + Array(repeating: "{\"all\": []}", count: 9).joined(separator: ",") + "]}") == "conditions.any")
        #expect(path("{\"field\": \"email\", \"op\": \"equals\", \"value\": \"a\", \"x\": 1}") == "conditions.x")
        #expect(path("{\"field\": \"email\", \"op\": \"equals\", \"value\": true}") == "conditions.value")
        #expect(path("{\"field\": \"custom_fields.score\", \"op\": \"equals\", \"value\": 1}") == nil, "the number 1 is a value")
        #expect(path("{\"field\": \"custom_fields.scöre\", \"op\": \"equals\", \"value\": 1}") == "conditions.field")
    }
}

@Suite struct ContactImportTests {
    @Test func csvWithQuotesCommasNewlinesAndTags() throws {
        let csv = "\u{FEFF}email,first_name,company,tags,custom_fields\r\nAnn@X.com,\"Ann, \"\"the\"\" first\",\"Multi\nLine\",a; b,\"{\"\"k\"\":1}\"\r\nbob@y.org,Bob,,,\n\n"
        let rows = try ContactImportParser.parseCSV(Data(csv.utf8))
        #expect(rows.count == 2)
        #expect(rows[0] == ContactInput(email: "ann@x.com", firstName: "Ann, \"the\" first", company: "Multi\nLine", tags: ["a", "b"], customFields: "{\"k\":1}"))
        #expect(rows[1] == ContactInput(email: "bob@y.org", firstName: "Bob"))
    }

    @Test func csvErrorsNameLineAndField() {
        func err(_ csv: String) -> ImportError? {
            do { _ = try ContactImportParser.parseCSV(Data(csv.utf8)); return nil } catch { return error }
        }
        #expect(err("email,phone\n") == ImportError(line: 1, field: "phone", "unknown column (expected company, custom_fields, email, first_name, last_name, source, tags)"))
        #expect(err("first_name\nAnn\n")?.field == "email")
        #expect(err("email\na@b.com\n\"multi\nline\"@x\n")?.line == 3)
        #expect(err("email,first_name\na@b.com\n")?.line == 2)
        #expect(err("email,custom_fields\na@b.com,[1]\n")?.field == "custom_fields")
        #expect(err("") != nil)
    }

    @Test func jsonImportAndErrors() throws {
        let rows = try ContactImportParser.parseJSON(Data(#"[{"email":"A@b.co","tags":["x"],"custom_fields":{"z":1,"a":"q"}}]"#.utf8))
        #expect(rows == [ContactInput(email: "a@b.co", tags: ["x"], customFields: "{\"a\":\"q\",\"z\":1}")])
        func err(_ j: String) -> ImportError? {
            do { _ = try ContactImportParser.parseJSON(Data(j.utf8)); return nil } catch { return error }
        }
        #expect(err(#"[{"email":"ok@x.io"},{"email":"nope"}]"#)?.index == 1)
        #expect(err(#"[{"email":"ok@x.io","tags":"x"}]"#)?.field == "tags")
        #expect(err(#"{"email":"a@b.c"}"#) != nil)
    }

    /// The array is read one element at a time: a bad row stops the import before the rest is even parsed, and
    /// brackets, commas and quotes inside strings do not split elements.
    @Test func jsonImportStreamsElementByElement() throws {
        func err(_ j: String) -> ImportError? {
            do { _ = try ContactImportParser.parseJSON(Data(j.utf8)); return nil } catch { return error }
        }
        let tricky = #"\#u{FEFF} [ {"email":"a@b.co","company":"x],\"{[y"} ,{"email":"c@d.co","tags":["[,]"],"custom_fields":{"k":[1,{"z":"}"}]}}]  "#
        let rows = try ContactImportParser.parseJSON(Data(tricky.utf8))
        #expect(rows.map(\.email) == ["a@b.co", "c@d.co"] && rows[0].company == "x],\"{[y" && rows[1].tags == ["[,]"])
        #expect(try ContactImportParser.parseJSON(Data(" [ ] ".utf8)).isEmpty)
        #expect(err(#"[{"email":"ok@x.io"},{"email":"nope"}, this is never read"#)?.index == 1, "stopped at the bad row")
        #expect(err(#"[{"email":"ok@x.io"},{"email":"x@y.io"#)?.description.contains("not valid JSON") == true, "never closed")
        #expect(err(#"[{"email":"ok@x.io"}] trailing"#)?.description.contains("not valid JSON") == true)
        #expect(err(#"[{"email":"ok@x.io"},]"#)?.index == 1)
        #expect(err(#"[{"email":"ok@x.io"}}"#) != nil && err("") != nil && err("5")?.description.contains("array") == true)
        #expect(err(#"[{"email":"ok@x.io" "x"}]"#)?.description.contains("not valid JSON") == true)
        var chunks: [Int] = []
        let many = "[" + (0..<25_000).map { #"{"email":"u\#($0)@x.io"}"# }.joined(separator: ",") + "]"
        try ContactImportParser.parse(Data(many.utf8), contentType: "application/json") { chunks.append($0.count) }
        #expect(chunks == [10_000, 10_000, 5_000])
    }

    @Test func importPlanCopiesUntilADuplicateAndAtMost32Savepoints() {
        var plan = ImportPlan()
        #expect((0..<3).map { _ in plan.next() } == Array(repeating: .copyInSavepoint, count: 3))
        plan.metDuplicate()
        #expect((0..<3).map { _ in plan.next() } == Array(repeating: .skipDuplicates, count: 3))
        var long = ImportPlan()
        let steps = (0..<40).map { _ in long.next() }
        #expect(steps.prefix(32).allSatisfy { $0 == .copyInSavepoint } && steps.dropFirst(32).allSatisfy { $0 == .skipDuplicates })
    }

    @Test func copyLinesEscape() {
        let chunk = ImportChunk(tenant: 42, [ContactInput(email: "a@b.c", firstName: "tab\there", lastName: "back\\slash", tags: ["q\"uote", "c,omma"])])
        let out = String(decoding: chunk.copyText, as: UTF8.self)
        #expect(chunk.count == 1)
        #expect(out == "42\ta@b.c\ttab\\there\tback\\\\slash\t\\N\t\\N\t{\"q\\\\\"uote\",\"c,omma\"}\t{}\n")
    }
}

@Suite struct CacheAndLimiterTests {
    @Test func localCacheExpiresAndEvictsOldest() async throws {
        let c = LocalCache(capacity: 2)
        c.set("a", "1", ttl: 60)
        c.set("b", "2", ttl: 60)
        c.set("c", "3", ttl: 60)  // evicts a
        #expect(c.get("a") == nil && c.get("b") == "2" && c.get("c") == "3")
        c.set("d", "4", ttl: 0.05)
        try await Task.sleep(for: .milliseconds(80))
        #expect(c.get("d") == nil)
        c.delete(["c"])
        #expect(c.get("c") == nil)
        #expect(c.hits.load(ordering: .relaxed) == 2)
    }

    /// A key deleted and set again must not be evicted early through its stale slot (it used to be: two ring
    /// slots for one key); bytes bound the cache as well as entries; expired entries are swept by later inserts.
    @Test func localCacheBoundsBytesAndNeverEvictsThroughAStaleSlot() async throws {
        let c = LocalCache(capacity: 3)
        c.set("a", "1", ttl: 60)
        c.delete(["a"])
        c.set("b", "2", ttl: 60)
        c.set("a", "1", ttl: 60)  // a's first slot is stale now
        c.set("c", "3", ttl: 60)
        c.set("d", "4", ttl: 60)  // full: evicts b, the oldest live entry, not the re-set a
        #expect(c.get("a") == "1" && c.get("b") == nil && c.get("c") == "3" && c.get("d") == "4")
        for i in 0..<1000 { c.set("hot", "\(i)", ttl: 60) }
        #expect(c.count == 3 && c.slots <= 2 * 3 + 64 + 1, "stale slots are compacted: \(c.slots)")

        let big = String(repeating: "x", count: 1000)
        let b = LocalCache(capacity: 1000, maxBytes: 10 * (1000 + LocalCache.overhead + 3))
        for i in 0..<50 { b.set("k\(i)", big, ttl: 60) }
        #expect(b.count == 10 && b.bytes <= b.maxBytes && b.get("k49") == big && b.get("k39") == nil)
        b.set("huge", String(repeating: "y", count: 20_000), ttl: 60)
        #expect(b.get("huge") == nil && b.count == 10, "a value over the whole budget is not kept, and evicts nothing")

        let e = LocalCache(capacity: 100)
        for i in 0..<20 { e.set("old\(i)", big, ttl: 0.02) }
        try await Task.sleep(for: .milliseconds(50))
        e.set("new", "v", ttl: 60)
        #expect(e.count == 1 && e.bytes < 200, "expired entries swept by the next insert: \(e.count)")
    }

    @Test func tieredCacheReadsThroughAndInvalidatesBoth() async {
        let l2 = MemoryCache()
        let t = TieredCache(l1: LocalCache(), l2: l2, l1TTL: 60)
        await l2.set("k", "v", ttl: 60)
        #expect(await t.get(["k", "missing"]) == ["v", nil])
        await l2.set("k", "changed", ttl: 60)
        #expect(await t.get("k") == "v", "served from L1 until invalidated")
        await t.delete(["k"])
        #expect(await t.get("k") == nil)
    }

    @Test func rateLimiterCountsPerUserPerSecond() async {
        let limiter = RateLimiter(cache: MemoryCache(), limit: 3)
        let now = Date(timeIntervalSince1970: 1000)
        var decisions: [RateLimiter.Decision] = []
        for _ in 0..<4 { decisions.append(await limiter.check(user: 1, now: now)!) }
        #expect(decisions.map(\.allowed) == [true, true, true, false])
        #expect(decisions.map(\.remaining) == [2, 1, 0, 0])
        #expect(await limiter.check(user: 2, now: now)!.allowed)
        #expect(await limiter.check(user: 1, now: now.addingTimeInterval(1))!.allowed)
        #expect(await RateLimiter(cache: MemoryCache(), limit: 0).check(user: 1) == nil)
    }

    /// One instance spends leases: exactly the limit is admitted, the headers count down by one, and the shared
    /// count is asked a few times a second instead of once a request.
    @Test func rateLimiterLeasesAreExactOnOneInstance() async {
        let cache = MemoryCache()
        let limiter = RateLimiter(cache: cache, limit: 100)
        let now = Date(timeIntervalSince1970: 1000)
        var decisions: [RateLimiter.Decision] = []
        for _ in 0..<150 { decisions.append(await limiter.check(user: 7, now: now)!) }
        #expect(decisions.prefix(100).allSatisfy(\.allowed) && !decisions.suffix(50).contains(where: \.allowed))
        #expect(decisions.map(\.remaining) == Array((0..<100).reversed()) + Array(repeating: 0, count: 50))
        // 1, 1, 2, 4, 8, then 10 at a time, and one more that finds the window full: 14.
        #expect(cache.increments == 14, "\(cache.increments) round trips")
        let concurrent = RateLimiter(cache: MemoryCache(), limit: 100)
        let admitted = await withTaskGroup(of: Bool.self) { g in
            for _ in 0..<300 { g.addTask { await concurrent.check(user: 1, now: now)!.allowed } }
            return await g.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(admitted == 100)
    }

    /// A reservation answered after its second ended must not replace the next second's lease.
    @Test func rateLimiterKeepsTheNewerLeaseWhenAnOldReservationReturns() {
        let leases = RateLimiter.Leases()
        #expect(leases.spend(user: 1, window: 11) == .reserve(1))
        #expect(leases.add(user: 1, window: 11, granted: 4, count: 4, full: false) == 1)
        _ = leases.add(user: 1, window: 10, granted: 1, count: 7, full: false)
        #expect(leases.spend(user: 1, window: 11) == .admitted(position: 2))
    }

    /// Instances sharing one count never admit more than the limit together, and lose at most a lease each.
    @Test func rateLimiterInstancesShareTheLimit() async {
        let cache = MemoryCache()
        let instances = (0..<3).map { _ in RateLimiter(cache: cache, limit: 100) }
        for second in 0..<20 {
            let now = Date(timeIntervalSince1970: Double(2000 + second))
            var admitted = 0
            for i in 0..<400 where await instances[(i * 7 + second) % 3].check(user: 1, now: now)!.allowed { admitted += 1 }
            #expect(admitted <= 100 && admitted >= 100 - 3 * 10, "second \(second): \(admitted)")
        }
    }
}

/// An in-memory `KeyValueCache` for unit tests of pure logic (TTLs are not modelled).
final class MemoryCache: KeyValueCache, @unchecked Sendable {
    private let lock = NSLock()
    private var values: [String: String] = [:]
    func get(_ keys: [String]) async -> [String?] { lock.withLock { keys.map { values[$0] } } }
    func set(_ key: String, _ value: String, ttl: Int) async { lock.withLock { values[key] = value } }
    func delete(_ keys: [String]) async { lock.withLock { for k in keys { values[k] = nil } } }
    /// Round trips `increment` made.
    var increments: Int { lock.withLock { incrementCalls } }
    private var incrementCalls = 0
    func increment(_ key: String, by: Int, ttl: Int) async -> Int? {
        lock.withLock {
            incrementCalls += 1
            let n = (Int(values[key] ?? "0") ?? 0) + by
            values[key] = String(n)
            return n
        }
    }
    var isAvailable: Bool { true }
}
