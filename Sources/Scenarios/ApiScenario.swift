import Foundation
import Harness
import Environment

/// The API as the seeds' users use it: a session logs in once and makes 20 to 50 requests from a weighted mix of
/// reads, writes, tracking-pixel hits and provider webhooks, at an open-model arrival rate of requests.
public struct ApiScenario: Scenario {
    public let name = "api"
    public let purpose = "How many API requests per second does campaignd serve when users log in once per session and browse?"
    public var divisible: Bool { true }

    public init() {}

    /// Requests (iterations of one request each) per second and seconds, per profile.
    static func defaults(_ p: Profile) -> (rate: Double, duration: Double) {
        switch p {
        case .smoke: (200, 20)
        case .nightly: (1000, 180)
        case .full: (2000, 900)
        }
    }

    /// Messages of the setup send kept for the pixel hits and webhooks to name.
    static let messages = 200

    public func plan(profile: Profile, overrides: Overrides) throws(UsageError) -> ScenarioPlan {
        try overrides.check(known: ["rate", "duration", "timeout", "start", "max", "step", "growth"], scenario: name)
        let d = Self.defaults(profile)
        let timeout = try overrides.duration("timeout", 10, in: Overrides.timeouts)
        if let s = try search(profile: profile, overrides: overrides) {
            return Self.constantPlan(rate: s.search.startRate, duration: s.stepSeconds, timeout: timeout, kpiSet: "none",
                                     describe: "the knee: steps of \(BasicScenario.format(s.stepSeconds)) s from \(BasicScenario.format(s.search.startRate)) requests/s, ×\(s.search.growth) until p99 > 100 ms, errors or drops > 1%, then bisection; a step that breaks runs again, and the knee must pass 2 more; each step after a 3 s ramp; sessions of 20-50 requests after one login")
        }
        let rate = try overrides.number("rate", d.rate, in: Overrides.rates)
        let duration = try overrides.duration("duration", d.duration)
        return Self.constantPlan(rate: rate, duration: duration, timeout: timeout, kpiSet: "api",
                                 describe: "\(BasicScenario.format(rate)) requests/s for \(BasicScenario.format(duration)) s after a \(BasicScenario.format(Self.rampSeconds)) s ramp, open model, in sessions of 20-50 requests after one login")
    }

    /// `--set max=R` asks for the knee instead of one rate: the stress scenario's search, over this mix.
    func search(profile: Profile, overrides: Overrides) throws(UsageError) -> (search: StepSearch, stepSeconds: Double)? {
        guard overrides.has("max") || overrides.has("start") else {
            if let k = ["step", "growth"].first(where: overrides.has) {
                throw UsageError("\(overrides.given(k)) shapes a knee search: give --set max= (or start=) too, or leave it out")
            }
            return nil
        }
        guard !overrides.has("rate"), !overrides.has("duration") else {
            throw UsageError("api: --set max= (or start=) searches for the knee; give step= for each step's length, not rate or duration")
        }
        return (try StepSearch.from(overrides, start: 500, max: 20000, maxSteps: 20), try overrides.duration("step", 10))
    }

    static let rampSeconds = 3.0

    /// Seed 000 tests "1000 concurrent users" (and targets 1000+). With campaignd's 100 requests/s per user, 100
    /// users at 3,000 req/s drew 429s from the chance that one user's sessions bunch into one second.
    static let usersPerTenant = 500

    static func constantPlan(rate: Double, duration: Double, timeout: Double, kpiSet: String, describe: String) -> ScenarioPlan {
        // Real users are logged in already when a test starts: a 3 s ramp lets sessions open at the pace they
        // are needed, where a cold start at full rate would open hundreds at once (a login storm, ~1 s of p99).
        var plan = ScenarioPlan(
            workload: .open(pacer: RampingRate(startRate: 0, stages: [RateStage(target: rate, durationSeconds: rampSeconds),
                                                                      RateStage(target: rate, durationSeconds: duration)]),
                            maxInFlight: LoadPlan.defaultMaxInFlight(rate: rate, timeoutSeconds: timeout)),
            journeys: mix.map { Journey(name: $0.step.name, weight: $0.weight, steps: [$0.step]) }, think: .none,
            requestTimeoutSeconds: timeout, seed: SeedRequest(tenants: 2, usersPerTenant: Self.usersPerTenant, contacts: 1000, allActive: true),
            kpiSet: kpiSet, describe: describe)
        plan.session = SessionSpec(setup: setup, iterations: 20...50)
        plan.sink = .embedded
        return plan
    }

    static let auth = [("Authorization", "Bearer {{token}}")]

    /// A session starts as seed 000's does: log in, create a campaign (which its later reads and edits name).
    public static let setup = [
        Journeys.seed000Session.steps[0],
        Step("POST /api/campaigns", method: "POST", path: "/api/campaigns", headers: auth,
             body: #"{"name":"API session {{iteration}}","subject":"Spring launch","message":"Hello"}"#,
             extract: [("campaign", "id")], expectStatus: 201...201),
    ]

    /// The mix, one request per iteration. Weights are requests per 100; each says which seed it follows.
    public static let mix: [(step: Step, weight: Double, source: String)] = [
        (Step("GET /api/campaigns", path: "/api/campaigns", headers: auth, expectStatus: 200...200), 25,
         "002: '/api/emails/tracked' is the busiest endpoint of its load test (30 of 60 API req/s); 000: every session lists campaigns"),
        (Step("GET /api/campaigns/{id}", path: "/api/campaigns/{{campaign}}", headers: auth, expectStatus: 200...200), 10,
         "002: a tracked email opened from the list"),
        (Step("GET /api/stats", path: "/api/stats", headers: auth, expectStatus: 200...200), 15,
         "002: '/api/emails/analytics' 10 req/s, dashboard load < 500 ms; 000: every session reads stats, cached 30 s"),
        (Step("GET /api/contacts?email=", path: "/api/contacts?email={{search}}&limit=20", headers: auth, expectStatus: 200...200), 8,
         "004: leads searched by address"),
        (Step("GET /api/segments/{id}/count", path: "/api/segments/{{segment}}/count", headers: auth, expectStatus: 200...200), 5,
         "004: a segment's size before a send"),
        (Step("POST /api/campaigns", method: "POST", path: "/api/campaigns", headers: auth,
              body: #"{"name":"API campaign {{iteration}}","subject":"Test","message":"Test message"}"#, expectStatus: 201...201), 4,
         "000: simulate_user_session creates a campaign"),
        (Step("PATCH /api/campaigns/{id}", method: "PATCH", path: "/api/campaigns/{{campaign}}", headers: auth,
              body: #"{"subject":"Spring launch {{iteration}}"}"#, expectStatus: 200...200), 5,
         "002: '/api/emails/sync' 5 req/s, the writes"),
        (Step("GET /t/o/{token}", path: "{{open_path}}", expectStatus: 200...200), 18,
         "002: tracking is the system's purpose; opens arrive beside the API traffic"),
        (Step("POST /api/webhooks/provider", method: "POST", path: "/api/webhooks/provider",
              headers: [("Authorization", "Bearer {{webhook_secret}}")],
              body: #"[{"event":"delivered","message_id":"{{message_id}}","timestamp":{{timestamp}}}]"#, expectStatus: 202...202), 10,
         "002: webhookProcessing 15 jobs/s beside 45 API req/s"),
    ]

    public func execute(_ ctx: ScenarioContext, plan: ScenarioPlan) async throws -> ScenarioExecution {
        let messages = try await Self.sentMessages(ctx, recipients: plan.seed.contacts)
        let segments = try await Self.segmentPerTenant(ctx)
        let secret = ctx.stack?.sink?.engagement.plan.webhookSecret ?? EngagementPlan().webhookSecret
        let now = String(Int(Date().timeIntervalSince1970))
        // One row per session start: a user (with its tenant's segment) and a message to open and report.
        let rows = (0..<max(ctx.users.count, messages.count)).map { i -> [String: String] in
            let user = ctx.users[i % ctx.users.count]
            let m = messages[i % messages.count]
            return ["email": user, "password": ctx.password, "segment": segments[Self.tenant(of: user)] ?? "0",
                    "search": Self.searches[i % Self.searches.count] + String(i % 10),
                    "open_path": m.openPath, "message_id": m.messageID, "webhook_secret": secret, "timestamp": now]
        }
        guard let (search, stepSeconds) = try self.search(profile: ctx.profile, overrides: ctx.overrides) else {
            return ScenarioExecution(result: try await ctx.load(plan, variables: rows))
        }
        return try await StressScenario.knee(search) { rate in
            try await ctx.load(Self.constantPlan(rate: rate, duration: stepSeconds, timeout: plan.requestTimeoutSeconds, kpiSet: "none", describe: ""),
                               variables: rows)
        }
    }

    /// Parts of seeded addresses (first.lastN@domain): a last name and a digit, like issue 15's `email=smith9`.
    static let searches = ["smith", "garcia", "chen", "patel", "kim", "silva", "novak", "rossi", "okafor", "haddad"]

    static func tenant(of email: String) -> String {
        String(email.split(separator: "@").last?.split(separator: ".").first ?? "")
    }

    /// Sends a campaign to the seeded contacts through the sink, which keeps the first `messages` tracking URLs and ids.
    static func sentMessages(_ ctx: ScenarioContext, recipients: Int) async throws -> [SampledMessage] {
        guard let sink = ctx.stack?.sink ?? nil else {
            throw UsageError(SinkUse.embedded.problem(scenario: "api", target: "", sinkURL: nil)!)
        }
        sink.engagement.sample = messages
        defer { sink.engagement.sample = 0 }
        // The whole send, so that its sending is over before the load starts.
        _ = try await CampaignSend.start(ctx, recipients: recipients).finish(ctx, timeout: 60, repeatsAllowed: 0)
        let got = sink.engagement.samples
        guard !got.isEmpty else { throw StackError("the api scenario's setup send delivered no message to the sink within 60 s") }
        return got
    }

    /// A segment of every subscribed contact, saved once by each tenant's first user.
    static func segmentPerTenant(_ ctx: ScenarioContext) async throws -> [String: String] {
        var out: [String: String] = [:]
        for user in ctx.users where out[tenant(of: user)] == nil {
            let api = try await CampaignAPI(base: ctx.endpoints.target).login(email: user, password: ctx.password)
            let r = try await api.expect(201, "POST", "/api/segments", json: ["name": "api scenario", "conditions": ["all": []]])
            out[tenant(of: user)] = (r.json["id"] as? Int).map(String.init) ?? "0"
        }
        return out
    }
}
