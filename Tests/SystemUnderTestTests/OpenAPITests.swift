import Foundation
import Testing
import Yams
@testable import SystemUnderTest

@Suite struct OpenAPITests {
    /// docs/openapi.yaml documents exactly the routes campaignd registers: no undocumented route, no stale entry.
    @Test func documentMatchesTheRouter() async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("docs/openapi.yaml"), encoding: .utf8)
        let doc = try #require(try Yams.load(yaml: text) as? [String: Any])
        let paths = try #require(doc["paths"] as? [String: Any])
        let methods: Set<String> = ["get", "post", "put", "patch", "delete"]
        var documented = Set<String>()
        for (path, item) in paths {
            for key in ((item as? [String: Any]) ?? [:]).keys where methods.contains(key) { documented.insert("\(key.uppercased()) \(path)") }
        }
        // Building the router opens no connection: pools connect lazily.
        var config = CampaignConfig(databaseURL: "postgresql://nobody@127.0.0.1:1/none", redisURL: "redis://127.0.0.1:1")
        config.sender = nil
        let metrics = HTTPMetrics()
        let db = Database(url: config.databaseURL, size: 1)
        let redis = try RedisCache(url: config.redisURL, size: 1)
        let l1 = LocalCache()
        let events = PostgresEventStore(db: db)
        let app = CampaignApp(config: config, metrics: metrics, db: db, redis: redis, l1: l1, cache: TieredCache(l1: l1, l2: redis),
                              store: PostgresCampaignStore(db: db), contacts: PostgresContactStore(db: db), events: events,
                              recorder: EventRecorder(store: events), webhooks: WebhookProcessor(store: events), sender: nil,
                              tokens: TrackingTokens(key: Array(repeating: 1, count: 32)), loginGuard: LoginGuard(cache: redis, concurrent: 1))
        let registered = Set(try app.router().routes.map { "\($0.method.rawValue) \($0.path.description)" })
        #expect(registered.subtracting(documented).isEmpty, "undocumented: \(registered.subtracting(documented).sorted())")
        #expect(documented.subtracting(registered).isEmpty, "documented but not served: \(documented.subtracting(registered).sorted())")
        #expect(registered.count >= 25)
        db.shutdown()
    }
}
