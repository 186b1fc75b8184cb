import Foundation
import Harness
import Environment

/// The seed-000 journey at a steady rate, with a campaign sending beside it, while the stack's parts fail on a
/// plan: does campaignd ride each fault out, how long after each does it meet its SLO again, and does every
/// recipient get exactly one email?
public struct ChaosScenario: Scenario {
    public let name = "chaos"
    public let purpose = "When PostgreSQL restarts, Redis dies, the database's network slows or campaignd is killed mid-send, how many requests fail, how fast is campaignd well again, and is any email lost or repeated?"

    public init() {}

    /// Iterations per second and seconds, per profile.
    static func defaults(_ p: Profile) -> (rate: Double, duration: Double) {
        switch p {
        case .smoke: (20, 45)
        case .nightly: (40, 150)
        case .full: (80, 600)
        }
    }

    /// The send beside the load: paced so that it lasts about as long as the load, and every fault falls in it.
    struct Send {
        var rate: Double
        var recipients: Int
    }

    func send(profile: Profile, overrides: Overrides, duration: Double) throws(UsageError) -> Send {
        let rate = try overrides.number("send_rate", 400, in: Overrides.rates)
        let n = try overrides.count("recipients", Int(min(max(rate * duration * 0.8, 1), 10_000_000).rounded()), in: 1...10_000_000)
        return Send(rate: rate, recipients: n)
    }

    public func plan(profile: Profile, overrides: Overrides) throws(UsageError) -> ScenarioPlan {
        var p = try BasicScenario.journeyPlan(scenario: name, defaults: Self.defaults(profile), overrides: overrides, kpiSet: "chaos",
                                              note: "", moreSettings: ["send_rate", "recipients"])
        let s = try send(profile: profile, overrides: overrides, duration: Double(p.workload.durationNanos) / 1e9)
        // Contacts are dealt over the tenants; the send goes to the first tenant's.
        p.seed.contacts = s.recipients * p.seed.tenants
        p.seed.allActive = true
        p.campaigndArguments = ["--send-rate", BasicScenario.format(s.rate)]
        p.sink = .counts
        p.describe += ", a campaign to \(s.recipients) recipients at \(BasicScenario.format(s.rate)) emails/s beside it, with faults"
        return p
    }

    /// The send starts first, so that it is under way when the load's first fault comes; it finishes after the
    /// load, within twice the load's time.
    public func execute(_ ctx: ScenarioContext, plan: ScenarioPlan) async throws -> ScenarioExecution {
        let duration = Double(plan.workload.durationNanos) / 1e9
        let s = try send(profile: ctx.profile, overrides: ctx.overrides, duration: duration)
        let campaign = try await CampaignSend.start(ctx, recipients: s.recipients)
        var e = ScenarioExecution(result: try await ctx.load(plan))
        try await campaign.finish(ctx, timeout: max(duration * 2, Double(s.recipients) / s.rate * 2), into: &e)
        return e
    }

    /// The standard set, spread over the run with room to recover after each: a database restart, campaignd
    /// killed mid-send, a cache death, campaignd's SIGTERM mid-send, a slow database network; nightly and full
    /// add a reset of every database connection and a database crash.
    public func defaultFaults(plan: ScenarioPlan) -> [FaultSpec] {
        let d = Double(plan.workload.durationNanos) / 1e9
        var f = [
            FaultSpec(component: .postgres, action: .restart, start: d * 0.12, duration: 3),
            FaultSpec(component: .campaignd, action: .kill, start: d * 0.30),
            FaultSpec(component: .redis, action: .kill, start: d * 0.42, duration: 5),
            FaultSpec(component: .campaignd, action: .term, start: d * 0.60),
            FaultSpec(component: .postgresNet, action: .latency(ms: 50), start: d * 0.72, duration: min(d * 0.13, 20)),
        ]
        if d >= 120 {
            f += [FaultSpec(component: .postgresNet, action: .reset, start: d * 0.05),
                  FaultSpec(component: .postgres, action: .kill, start: d * 0.90)]
        }
        return f.map { var x = $0; x.start = x.start.rounded(); x.duration = x.duration.map { $0.rounded() }; return x }
    }
}
