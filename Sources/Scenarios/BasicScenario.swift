import Harness
import Environment

/// The seed-000 user journey (login, list campaigns, stats, create a campaign) at a constant arrival rate.
public struct BasicScenario: Scenario {
    public let name = "basic"
    public let purpose = "Does the seed-000 journey meet the API KPIs at a steady, comfortable rate?"
    /// One load, judged by its requests alone: `--segment` may split it.
    public var divisible: Bool { true }

    public init() {}

    /// Iterations per second and seconds, per profile. Each iteration is four requests.
    static func defaults(_ p: Profile) -> (rate: Double, duration: Double) {
        switch p {
        case .smoke: (25, 20)
        case .nightly: (50, 180)
        case .full: (100, 900)
        }
    }

    public func plan(profile: Profile, overrides: Overrides) throws(UsageError) -> ScenarioPlan {
        try Self.journeyPlan(scenario: name, defaults: Self.defaults(profile), overrides: overrides, kpiSet: "api")
    }

    /// The seed-000 journey at the profile's rate for its time, or `--set rate=, duration=, timeout=`.
    static func journeyPlan(scenario: String, defaults d: (rate: Double, duration: Double), overrides: Overrides, kpiSet: String,
                            note: String = "", moreSettings: [String] = []) throws(UsageError) -> ScenarioPlan {
        try overrides.check(known: ["rate", "duration", "timeout"] + moreSettings, scenario: scenario)
        let rate = try overrides.number("rate", d.rate, in: Overrides.rates)
        let duration = try overrides.duration("duration", d.duration)
        let timeout = try overrides.duration("timeout", 10, in: Overrides.timeouts)
        return constantPlan(rate: rate, duration: duration, timeout: timeout, kpiSet: kpiSet,
                            describe: "\(format(rate)) iterations/s (4 requests each) for \(format(duration)) s, open model" + note)
    }

    /// The seed-000 journey at a constant arrival rate.
    static func constantPlan(rate: Double, duration: Double, timeout: Double, kpiSet: String, describe: String,
                             journey: Journey = Journeys.seed000Session) -> ScenarioPlan {
        ScenarioPlan(
            workload: .open(pacer: ConstantRate(perSecond: rate, durationSeconds: duration),
                            maxInFlight: LoadPlan.defaultMaxInFlight(rate: rate, timeoutSeconds: timeout)),
            journeys: [journey], think: .none, requestTimeoutSeconds: timeout,
            seed: SeedRequest(), kpiSet: kpiSet, describe: describe)
    }

    static func format(_ x: Double) -> String { x == x.rounded() ? String(Int(x)) : String(x) }
}

/// Journeys shared by scenarios.
public enum Journeys {
    /// Seed 000 "Load Testing Script", simulate_user_session: login, GET campaigns, GET stats, create a campaign.
    public static let seed000Session = Journey(name: "seed000-session", steps: [
        Step("POST /api/login", method: "POST", path: "/api/login",
             body: #"{"email":"{{email}}","password":"{{password}}"}"#, extract: [("token", "token")], expectStatus: 200...200),
        Step("GET /api/campaigns", path: "/api/campaigns", headers: [("Authorization", "Bearer {{token}}")], expectStatus: 200...200),
        Step("GET /api/stats", path: "/api/stats", headers: [("Authorization", "Bearer {{token}}")], expectStatus: 200...200),
        Step("POST /api/campaigns", method: "POST", path: "/api/campaigns", headers: [("Authorization", "Bearer {{token}}")],
             body: #"{"name":"Test Campaign {{iteration}}","subject":"Test","message":"Test message"}"#, expectStatus: 201...201),
    ])

    /// The seed-000 session in a steady state for soaks: it deletes the campaign it creates and logs out, so
    /// what the run stores does not grow, and memory that still grows is a leak rather than data.
    public static let steadyState = Journey(name: "steady-state-session", steps: [
        seed000Session.steps[0], seed000Session.steps[1], seed000Session.steps[2],
        Step("POST /api/campaigns", method: "POST", path: "/api/campaigns", headers: [("Authorization", "Bearer {{token}}")],
             body: #"{"name":"Soak Campaign {{iteration}}","subject":"Test","message":"Test message"}"#, extract: [("campaign", "id")],
             expectStatus: 201...201),
        Step("DELETE /api/campaigns/{id}", method: "DELETE", path: "/api/campaigns/{{campaign}}", headers: [("Authorization", "Bearer {{token}}")],
             expectStatus: 204...204),
        Step("POST /api/logout", method: "POST", path: "/api/logout", headers: [("Authorization", "Bearer {{token}}")], expectStatus: 204...204),
    ])
}
