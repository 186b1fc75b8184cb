import Foundation
import Harness
import Environment

/// A campaign to N recipients through campaignd's sender to the mail sink: how fast, how long each email
/// waits, and does every recipient get exactly one email?
public struct SendScenario: Scenario {
    public let name = "send"
    public let purpose = "How many emails per second does a campaign send reach, how long does each wait, and is none lost or repeated?"

    public init() {}

    static func defaults(_ p: Profile) -> (recipients: Int, timeout: Double) {
        switch p {
        case .smoke: (5_000, 50)
        case .nightly: (100_000, 600)
        case .full: (1_000_000, 1800)
        }
    }

    /// Recipients and the time allowed for the send.
    public func settings(profile: Profile, overrides: Overrides) throws(UsageError) -> (recipients: Int, timeout: Double) {
        try overrides.check(known: ["recipients", "timeout"], scenario: name)
        let d = Self.defaults(profile)
        return (try overrides.count("recipients", d.recipients, in: 1...50_000_000), try overrides.duration("timeout", d.timeout, in: Overrides.timeouts))
    }

    public func plan(profile: Profile, overrides: Overrides) throws(UsageError) -> ScenarioPlan {
        let s = try settings(profile: profile, overrides: overrides)
        // No generated load: `execute` drives the API itself; the workload is a placeholder that never runs, as
        // long as the send may take (faults must end within it).
        var plan = ScenarioPlan(workload: .open(pacer: ConstantRate(perSecond: 1, durationSeconds: s.timeout), maxInFlight: 1), journeys: [], think: .none,
                                requestTimeoutSeconds: 10, seed: SeedRequest(tenants: 1, usersPerTenant: 2, contacts: s.recipients, allActive: true),
                                kpiSet: "email", describe: "one campaign to \(s.recipients) recipients, at most \(BasicScenario.format(s.timeout)) s")
        plan.sink = .counts
        return plan
    }

    public func execute(_ ctx: ScenarioContext, plan: ScenarioPlan) async throws -> ScenarioExecution {
        let s = try settings(profile: ctx.profile, overrides: ctx.overrides)
        let send = try await CampaignSend.start(ctx, recipients: s.recipients)
        var e = ScenarioExecution(result: .empty(startedAt: send.started, durationSeconds: 0, interrupted: false))
        try await send.finish(ctx, timeout: s.timeout, into: &e)
        e.result = .empty(startedAt: send.started, durationSeconds: Date().timeIntervalSince(send.started), interrupted: ctx.control.isInterrupted)
        return e
    }

    public func conclude(_ e: inout ScenarioExecution, resources: [String: ProcessResources], ctx: ScenarioContext) {
        guard let r = resources["campaignd"], let first = r.series.first, let last = r.series.last else { return }
        e.update(EmailOutcome.self) { email in
            if email.sink.unique > 0 { email.campaigndCpuSPer1000 = (last.cpuSeconds - first.cpuSeconds) / (Double(email.sink.unique) / 1000) }
        }
    }
}
