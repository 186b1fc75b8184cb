import Foundation
import Harness

/// Bulk contact import through the API (CSV, COPY behind it): how many rows per second?
public struct ImportScenario: Scenario {
    public let name = "import"
    public let purpose = "How fast does POST /api/contacts/import load contacts (seed 004: 100K leads in 5-15 s)?"

    public init() {}

    static func defaults(_ p: Profile) -> Int {
        switch p {
        case .smoke: 100_000
        case .nightly: 1_000_000
        case .full: 2_000_000
        }
    }

    public func settings(profile: Profile, overrides: Overrides) throws(UsageError) -> (rows: Int, batch: Int, concurrency: Int) {
        try overrides.check(known: ["rows", "batch", "concurrency"], scenario: name)
        // 500,000 rows per request is a 64 MiB body, the most campaignd reads.
        return (try overrides.count("rows", Self.defaults(profile), in: 1...50_000_000), try overrides.count("batch", 100_000, in: 1...500_000),
                try overrides.count("concurrency", 1, in: 1...16))
    }

    /// No faults: one import of a few seconds.
    public func faultHorizon(plan: ScenarioPlan) -> Double? { nil }

    public func plan(profile: Profile, overrides: Overrides) throws(UsageError) -> ScenarioPlan {
        let s = try settings(profile: profile, overrides: overrides)
        // No generated load: `execute` drives the API itself; the workload is a placeholder that never runs.
        return ScenarioPlan(workload: .open(pacer: ConstantRate(perSecond: 1, durationSeconds: 1), maxInFlight: 1), journeys: [], think: .none,
                            requestTimeoutSeconds: 120, seed: SeedRequest(tenants: 1, usersPerTenant: 2, contacts: 0), kpiSet: "import",
                            describe: "\(s.rows) contacts as CSV, \(s.batch) per request, \(s.concurrency) at a time")
    }

    /// Rows `from..<to` of a CSV body with a header, unlike the seeder's addresses so the two never collide.
    static func csv(from: Int, to: Int) -> Data {
        var s = "email,first_name,last_name,company,source,tags,custom_fields\n"
        s.reserveCapacity((to - from) * 90 + 64)
        let companies = ["Acme", "Globex", "Initech", "Umbrella", "Hooli"], sources = ["import", "event", "partner"]
        for i in from..<to {
            s += "lead\(i)@import\(i % 50).example.net,Lead,No\(i),\(companies[i % 5]),\(sources[i % 3]),imported;batch\(i % 7),\"{\"\"score\"\": \(i % 100)}\"\n"
        }
        return Data(s.utf8)
    }

    public func execute(_ ctx: ScenarioContext, plan: ScenarioPlan) async throws -> ScenarioExecution {
        let s = try settings(profile: ctx.profile, overrides: ctx.overrides)
        let api = try await ctx.api()
        let offset = Int(Date().timeIntervalSince1970 * 1000) % 1_000_000_000 * 10  // fresh addresses on every run
        let batches = stride(from: 0, to: s.rows, by: s.batch).map { ($0, min($0 + s.batch, s.rows)) }
        // Bodies are built before the clock starts: the figure is the server's import rate, not CSV generation.
        let bodies = batches.map { Self.csv(from: offset + $0.0, to: offset + $0.1) }
        let started = Date()
        var imported = 0
        var requests = 0
        for group in stride(from: 0, to: bodies.count, by: s.concurrency) where !ctx.control.isInterrupted {
            let slice = bodies[group..<min(group + s.concurrency, bodies.count)]
            try await withThrowingTaskGroup(of: Int.self) { g in
                for body in slice {
                    g.addTask {
                        let r = try await api.expect(200, "POST", "/api/contacts/import", body: body, contentType: "text/csv")
                        return r.json["imported"] as? Int ?? 0
                    }
                }
                for try await n in g { imported += n; requests += 1 }
            }
            let elapsed = Date().timeIntervalSince(started)
            ctx.progress(String(format: "%5.1fs  %9d/%d rows  %9.0f/s", elapsed, imported, s.rows, Double(imported) / max(elapsed, 0.001)))
        }
        let duration = Date().timeIntervalSince(started)
        var e = ScenarioExecution(result: .empty(startedAt: started, durationSeconds: duration, interrupted: ctx.control.isInterrupted))
        e.results.append(ImportOutcome(rows: s.rows, imported: imported, requests: requests, durationS: duration))
        return e
    }
}
