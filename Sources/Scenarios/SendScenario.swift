import Foundation
import Harness

/// A campaign to N recipients through campaignd's sender to the mail sink: how fast, how long each email
/// waits, and does every recipient get exactly one email?
public struct SendScenario: Scenario {
    public let name = "send"
    public let purpose = "How many emails per second does a campaign send reach, how long does each wait, and is none lost or repeated?"

    public init() {}

    static func defaults(_ p: Profile) -> (recipients: Double, timeout: Double) {
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
        let n = try overrides.number("recipients", d.recipients)
        guard n == n.rounded(), n <= 50_000_000 else { throw UsageError("--set recipients=\(n): expected a whole number up to 50,000,000") }
        return (Int(n), try overrides.duration("timeout", d.timeout))
    }

    public func plan(profile: Profile, overrides: Overrides) throws(UsageError) -> ScenarioPlan {
        let s = try settings(profile: profile, overrides: overrides)
        // No generated load: `execute` drives the API itself; the workload is a placeholder that never runs, as
        // long as the send may take (faults must end within it).
        return ScenarioPlan(workload: .open(pacer: ConstantRate(perSecond: 1, durationSeconds: s.timeout), maxInFlight: 1), journeys: [], think: .none,
                            requestTimeoutSeconds: 10, seed: SeedRequest(tenants: 1, usersPerTenant: 2, contacts: s.recipients, allActive: true),
                            kpiSet: "email", describe: "one campaign to \(s.recipients) recipients, at most \(BasicScenario.format(s.timeout)) s")
    }

    /// What a SIGKILL of campaignd may send twice: each sender thread's claimed batch (50 rows over SMTP, one
    /// provider request of 500 over HTTP), rolled back and sent again by the next campaignd.
    static func inFlightAtKills(_ options: RunOptions) -> Int {
        let kills = options.faults.filter { $0.component == .campaignd && $0.action == .kill }.count
        let args = options.stack.campaigndArguments
        let threads = args.firstIndex(of: "--send-threads").flatMap { i in i + 1 < args.count ? Int(args[i + 1]) : nil } ?? 4
        return kills * threads * (options.stack.transport == .http ? 500 : 50)
    }

    /// The template every send renders: merge tags, a tracked link, and the open pixel campaignd adds.
    static let template = """
        <html><body><p>Hello {{first_name}} {{last_name}},</p>
        <p>{{company}} is invited to our spring launch. <a href="https://example.com/launch">See what is new</a>.</p>
        <p><a href="https://example.com/unsubscribe">Unsubscribe</a></p></body></html>
        """

    public func execute(_ ctx: ScenarioContext, plan: ScenarioPlan) async throws -> ScenarioExecution {
        let s = try settings(profile: ctx.profile, overrides: ctx.overrides)
        let sink = try SinkReader(ctx)
        let api = try await ctx.api()
        let base = try await sink.stats()
        let id = try await api.expect(201, "POST", "/api/campaigns", json: ["name": "mailstorm send", "subject": "Spring launch", "template": Self.template])
            .json["id"] as? Int ?? 0
        let started = Date()
        try await api.expect(202, "POST", "/api/campaigns/\(id)/send")
        let deadline = started.addingTimeInterval(s.timeout)
        var status = "sending"
        while Date() < deadline && !ctx.control.isInterrupted {
            try await Task.sleep(for: .seconds(1))
            let got = try await sink.unique() - base.unique
            let elapsed = Date().timeIntervalSince(started)
            ctx.progress(String(format: "%5.0fs  %9d/%d emails  %8.0f/s", elapsed, got, s.recipients, Double(got) / max(elapsed, 0.001)))
            status = (try? await api.call("GET", "/api/campaigns/\(id)").json["status"] as? String) ?? status
            if status == "sent" || status == "failed" { break }  // failed: campaignd gave up resolving its recipients
        }
        let last = try await sink.stats()
        let stats = try await api.expect(200, "GET", "/api/campaigns/\(id)/stats").json
        var states: [String: Int] = [:]
        for k in ["sent", "bounced", "failed", "queued"] { if let n = stats[k] as? Int, n > 0 { states[k] = n } }
        let recipients = stats["recipients"] as? Int ?? 0
        let end = last.lastArrival ?? Date().timeIntervalSince1970
        let delivery = try HistogramCodec.decode(base64: last.deliveryHistogram)
        let t0 = started.timeIntervalSince1970
        let perSecond = last.perSecond.compactMap { (k, v) -> EmailOutcome.Second? in
            guard let sec = Double(k), sec + 1 > t0 else { return nil }
            return .init(t: max(sec - t0.rounded(.down), 0), emails: v - (base.perSecond[k] ?? 0))
        }.sorted { $0.t < $1.t }
        var e = ScenarioExecution(result: .empty(startedAt: started, durationSeconds: Date().timeIntervalSince(started),
                                                 interrupted: ctx.control.isInterrupted))
        e.email = EmailOutcome(
            transport: ctx.options.stack.transport.rawValue, requested: s.recipients, recipients: recipients,
            durationS: max(end - t0, 0.001),
            deliveryMs: .init(p50: delivery.millis(at: 50), p95: delivery.millis(at: 95), p99: delivery.millis(at: 99), max: delivery.maxMillis),
            sink: .init(accepted: last.accepted - base.accepted, unique: last.unique - base.unique,
                        duplicates: last.duplicates - base.duplicates, rejected: last.rejected - base.rejected),
            states: states, perSecond: perSecond, inFlightAtKills: Self.inFlightAtKills(ctx.options))
        if let en = ctx.stack?.sink?.engagement, en.plan.isActive {
            // Give the last second's webhooks their flush before counting.
            try? await Task.sleep(for: .milliseconds(1200))
            let c = en.counts
            e.email?.engagement = ["opens": c.opens, "clicks": c.clicks, "webhook_items": c.webhookItems, "failures": c.failures]
        }
        return e
    }

    public func conclude(_ e: inout ScenarioExecution, resources: [String: ProcessResources], ctx: ScenarioContext) {
        guard let r = resources["campaignd"], let first = r.series.first, let last = r.series.last, let email = e.email, email.sink.unique > 0 else { return }
        e.email?.campaigndCpuSPer1000 = (last.cpuSeconds - first.cpuSeconds) / (Double(email.sink.unique) / 1000)
    }
}

/// The sink's counters: in process when the stack started the sink, else over HTTP (`GET /stats`).
struct SinkReader {
    let local: MailSink?
    let url: String?

    init(_ ctx: ScenarioContext) throws {
        local = ctx.stack?.sink
        url = ctx.endpoints.sinkURL
        guard local != nil || url != nil else {
            throw UsageError("the send scenario needs the mail sink: run it on the embedded stack, or point campaignd at `mailstorm sink`")
        }
    }

    /// Unique messages so far; in process without building the whole stats.
    func unique() async throws -> Int {
        if let local { return local.ledger.uniqueCount }
        return try await stats().unique
    }

    func stats() async throws -> SinkLedger.Stats {
        if let local { return local.ledger.stats }
        let r = try await CampaignAPI(base: url!).call("GET", "/stats")
        return try JSONDecoder().decode(SinkLedger.Stats.self, from: r.body)
    }
}
