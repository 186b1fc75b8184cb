import Foundation
import Testing
import Harness
import Environment
import SystemUnderTest
import Scenarios
import Reports
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Integration suites that check what the stack does (counts, states, outputs), with waits that allow for a busy
/// machine, nest here. They run one at a time here, and `make test` runs two processes of them side by side
/// (scripts/test.sh).
@Suite(.serialized) struct SharedMachine {}

/// Integration suites whose figures are the machine's nest here: trials judged for regressions, the profiler, and
/// scenarios that drive the stack past what the machine can do. `make test` runs them with nothing beside them.
@Suite(.serialized) struct WholeMachine {}

/// Helpers for tests that drive the real stack and the real binaries.
enum Integration {
    /// The build folder holding the test bundle, mailstorm and campaignd.
    static var buildDirectory: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent().path
    }

    static func binary(_ name: String) -> String { buildDirectory + "/" + name }

    /// The repository's root (deploy/, .build/venv, Tests/CrossChecks), from this file's place in it.
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// Runs mailstorm with `args` and returns its exit code and output.
    static func mailstorm(_ args: [String]) throws -> (status: Int32, output: String) {
        try ManagedProcess.runToEnd(binary("mailstorm"), args)
    }

    /// Opens an HTML file in headless Chromium (the Debian package `make test` installs), as a reader would:
    /// returns the DOM it built, the lines Chromium logged from the page's console, and saves a screenshot.
    static func chromium(_ html: String, screenshot: String) throws -> (dom: String, console: [String]) {
        let exe = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let exe else { throw StackError("no chromium: `make test` installs it (scripts/setup.sh)") }
        let profile = NSTemporaryDirectory() + "ms-chromium-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: profile) }
        let common = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--enable-logging=stderr", "--v=0",
                      "--user-data-dir=" + profile]
        let url = URL(fileURLWithPath: html).absoluteString
        let shot = try ManagedProcess.runToEnd(exe, common + ["--window-size=1000,2400", "--screenshot=" + screenshot, url])
        guard shot.status == 0 else { throw StackError("chromium --screenshot exited \(shot.status): \(shot.output.suffix(500))") }
        let dom = try ManagedProcess.runToEnd("/bin/sh", ["-c", "exec \"$0\" \"$@\" 2>/dev/null", exe] + common + ["--dump-dom", url])
        let console = (shot.output + "\n").split(separator: "\n").filter { $0.contains(":CONSOLE") }.map(String.init)
        return (dom.output, console)
    }

    /// GET `url` and return the body as text.
    static func get(_ url: String) async throws -> String {
        let (data, _) = try await URLSession.shared.data(from: URL(string: url)!)
        return String(decoding: data, as: UTF8.self)
    }

    /// Sums campaignd_http_requests_total samples whose route starts with "/api" after the method.
    static func apiRequestsServed(metrics: String) -> UInt64 {
        metrics.split(separator: "\n").filter { $0.hasPrefix("campaignd_http_requests_total{") && $0.contains(" /api/") }
            .compactMap { UInt64($0.split(separator: " ").last ?? "") }.reduce(0, +)
    }

    /// One value from PostgreSQL through psql.
    static func sql(_ url: String, _ query: String) throws -> String {
        try ManagedProcess.runToEnd("/usr/bin/psql", [url, "-Atc", query]).output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func stackOptions(_ campaigndArguments: [String] = []) -> StackOptions {
        StackOptions(campaignd: binary("campaignd"), campaigndArguments: campaigndArguments)
    }
}

/// Tests drive campaignd's API with the harness's own client.
typealias APIClient = CampaignAPI

extension CampaignAPI {
    /// Logs in as `email` (seeded users share one password).
    static func login(_ base: String, _ email: String = "user1@tenant1.example") async throws -> CampaignAPI {
        try await CampaignAPI(base: base).login(email: email, password: "mailstorm-pass")
    }

    /// Posts provider webhook items with the secret the embedded sink's deliveries carry.
    func webhook(_ items: Any) async throws -> Reply {
        try await call("POST", "/api/webhooks/provider", json: items, headers: ["Authorization": "Bearer \(EngagementPlan().webhookSecret)"])
    }
}

extension Integration {
    /// The open and click tokens campaignd signs, with the key every instance shares (read where campaignd keeps it).
    static func trackingTokens(_ db: String) throws -> TrackingTokens {
        try #require(TrackingTokens(hex: try sql(db, "SELECT value FROM server_secrets WHERE name = 'tracking_key'")))
    }

    /// A campaign to all of tenant 1's contacts, its sends written as sent without any mail, in `storedBy`'s order
    /// (SQL over contacts); returns its id and the contacts, lowest first. For what happens after a send.
    static func campaignMarkedSent(_ stack: Stack, _ api: APIClient, storedBy order: String = "id") async throws -> (id: Int, contacts: [Int64]) {
        let db = stack.endpoints.databaseURL!
        let id = try await api.expect(201, "POST", "/api/campaigns", json: ["name": "marked sent", "subject": "s"]).json["id"] as! Int
        _ = try sql(db, """
            INSERT INTO email_sends (campaign_id, contact_id, tenant_id, email, status, created_at, sent_at)
            SELECT \(id), id, tenant_id, email, 'sent', now(), now() FROM contacts WHERE tenant_id = 1 ORDER BY \(order)
            """)
        let contacts = try sql(db, "SELECT contact_id FROM email_sends WHERE campaign_id = \(id) ORDER BY 1").split(separator: "\n").map { Int64($0)! }
        return (id, contacts)
    }
}

extension Integration {
    /// Seeds `contacts` through campaignd's own seeder, with `more` of its options.
    static func seed(_ stack: Stack, contacts: Int, _ more: [String] = []) throws {
        let r = try ManagedProcess.runToEnd(binary("campaignd"), ["seed", "--database-url", stack.endpoints.databaseURL!,
                                                                   "--contacts", String(contacts), "--quiet"] + more)
        guard r.status == 0 else { throw StackError("seed failed: \(r.output)") }
    }

    /// PostgreSQL's own plan of `sql` as it ran (EXPLAIN ANALYZE, FORMAT JSON), and its nodes, depth first.
    static func plan(_ conn: PostgresConnection, _ sql: String, _ params: [String?]) throws -> (text: String, nodes: [[String: Any]]) {
        let text = try conn.query("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params).rows[0][0] ?? ""
        var nodes: [[String: Any]] = []
        func walk(_ n: [String: Any]) {
            nodes.append(n)
            for c in n["Plans"] as? [[String: Any]] ?? [] { walk(c) }
        }
        if let top = (try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]])?.first?["Plan"] as? [String: Any] { walk(top) }
        return (text, nodes)
    }

    /// A plan node's count, -1 when it has none.
    static func planNumber(_ node: [String: Any], _ key: String) -> Int { (node[key] as? NSNumber)?.intValue ?? -1 }

    /// Polls `condition` every 100 ms for up to `seconds`.
    static func eventually(_ seconds: Double, _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return try await condition()
    }
}

extension Integration {
    /// A scenario in its smoke profile on a stack of its own, and its summary.
    static func smoke(_ scenario: any Scenario, settings: [String] = [], campaigndArguments: [String] = [],
               faults: [String] = []) async throws -> (ScenarioOutcome, Summary) {
        var options = RunOptions()
        options.faults = try faults.map { try FaultSpec(parsing: $0) }
        options.profile = .smoke
        options.overrides = try Overrides(settings)
        options.stack = stackOptions()
        options.stack.campaigndArguments += campaigndArguments
        let o = try await ScenarioRunner().run(scenario, options: options)
        let s = SummaryBuilder.build(scenario: o.scenario, profile: "smoke", load: o.describe, target: o.target, embedded: o.embedded,
                                     result: o.result, kpis: KPICatalog.set(o.kpiSet) + o.thresholds.map(KPI.init), results: o.results,
                                     resources: o.resources,
                                     faults: o.faults, services: o.services)
        // Every summary round-trips through its JSON form, and every run samples the services.
        _ = try Summary.decode(try s.encoded())
        #expect(s.services?.pgCommitsPerS != nil && s.services?.redisOpsPerS != nil, "services were not sampled")
        return (o, s)
    }

    /// Speed KPIs are this machine's to pass or fail; the one verdict must follow them and nothing else.
    static func verdictFollowsItsKPIs(_ s: Summary) -> Bool {
        s.verdict.outcome == (s.kpis.allSatisfy(\.pass) && s.problems.isEmpty ? .pass : .fail)
    }
}
