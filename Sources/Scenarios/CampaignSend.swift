import Foundation
import Harness
import Environment

/// One campaign sent through campaignd's sender to the mail sink, from the send request until campaignd calls
/// it sent (or failed), or time runs out; then what the sink and campaignd each counted.
struct CampaignSend {
    let sink: SinkReader
    let api: CampaignAPI
    /// The sink's counters before the send, subtracted from the ones after.
    let base: SinkLedger.Stats
    let id: Int
    let started: Date
    let recipients: Int

    /// The template every send renders: merge tags, a tracked link, and the open pixel campaignd adds.
    static let template = """
        <html><body><p>Hello {{first_name}} {{last_name}},</p>
        <p>{{company}} is invited to our spring launch. <a href="https://example.com/launch">See what is new</a>.</p>
        <p><a href="https://example.com/unsubscribe">Unsubscribe</a></p></body></html>
        """

    /// Creates the campaign and asks campaignd to send it to the seeded `recipients`.
    static func start(_ ctx: ScenarioContext, recipients: Int) async throws -> CampaignSend {
        let sink = try SinkReader(ctx)
        let api = try await ctx.api()
        let base = try await sink.stats()
        let id = try await api.expect(201, "POST", "/api/campaigns", json: ["name": "mailstorm send", "subject": "Spring launch", "template": template])
            .json["id"] as? Int ?? 0
        let started = Date()
        try await api.expect(202, "POST", "/api/campaigns/\(id)/send")
        return CampaignSend(sink: sink, api: api, base: base, id: id, started: started, recipients: recipients)
    }

    /// Waits, `timeout` seconds from the send request at most, for the send to end; then counts. `repeatsAllowed`:
    /// the batches planned faults may send twice.
    func finish(_ ctx: ScenarioContext, timeout: Double, repeatsAllowed: Int) async throws -> EmailOutcome {
        let deadline = started.addingTimeInterval(timeout)
        while Date() < deadline && !ctx.control.isInterrupted {
            // A campaignd mid-restart answers nothing for a moment: ask again next second.
            let status = try? await api.call("GET", "/api/campaigns/\(id)").json["status"] as? String
            if status == "sent" || status == "failed" { break }  // failed: campaignd gave up resolving its recipients
            try await Task.sleep(for: .seconds(1))
            let got = try await sink.unique() - base.unique
            let elapsed = Date().timeIntervalSince(started)
            ctx.progress(String(format: "%5.0fs  %9d/%d emails  %8.0f/s", elapsed, got, recipients, Double(got) / max(elapsed, 0.001)))
        }
        let last = try await sink.stats()
        let stats = try await api.expect(200, "GET", "/api/campaigns/\(id)/stats").json
        var states: [String: Int] = [:]
        for k in ["sent", "bounced", "failed", "queued"] { if let n = stats[k] as? Int, n > 0 { states[k] = n } }
        let end = last.lastArrival ?? Date().timeIntervalSince1970
        let delivery = try HistogramCodec.decode(base64: last.deliveryHistogram)
        var e = EmailOutcome(
            transport: ctx.options.stack.transport.rawValue, requested: recipients, recipients: stats["recipients"] as? Int ?? 0,
            durationS: max(end - started.timeIntervalSince1970, 0.001),
            deliveryMs: .init(p50: delivery.millis(at: 50), p95: delivery.millis(at: 95), p99: delivery.millis(at: 99), max: delivery.maxMillis),
            sink: .init(accepted: last.accepted - base.accepted, unique: last.unique - base.unique,
                        duplicates: last.duplicates - base.duplicates, rejected: last.rejected - base.rejected),
            states: states, perSecond: seconds(last.perSecond, minus: base.perSecond), inFlightAtKills: repeatsAllowed)
        e.repeatsPerSecond = seconds(last.duplicatesPerSecond ?? [:], minus: base.duplicatesPerSecond ?? [:])
        if let en = ctx.stack?.sink?.engagement, en.plan.isActive {
            // Give the last second's webhooks their flush before counting.
            try? await Task.sleep(for: .milliseconds(1200))
            let c = en.counts
            e.engagement = ["opens": c.opens, "clicks": c.clicks, "webhook_items": c.webhookItems, "failures": c.failures]
        }
        return e
    }

    /// The sink's per-Unix-second counts since the send began, as seconds after its start.
    func seconds(_ now: [String: Int], minus before: [String: Int]) -> [EmailOutcome.Second] {
        let t0 = started.timeIntervalSince1970
        return now.compactMap { (k, v) -> EmailOutcome.Second? in
            guard let sec = Double(k), sec + 1 > t0, v > (before[k] ?? 0) else { return nil }
            // From the send's own start, not the start of its second: faults are placed to the millisecond, and a
            // second counted from a rounded start would credit a repeat to a fault that began up to 1 s after it.
            return .init(t: max(sec - t0, 0), emails: v - (before[k] ?? 0))
        }.sorted { $0.t < $1.t }
    }

    /// What one planned fault that cuts a batch's transaction short after the batch left may send twice: each
    /// sender thread's claimed batch (50 rows over SMTP, one provider request of 500 over HTTP), with campaignd's
    /// default threads (docs/campaignd.md) unless the run sets them.
    static func repeatsPerFault(_ options: RunOptions) -> Int {
        let args = options.stack.campaigndArguments
        let given = args.firstIndex(of: "--send-threads").flatMap { i in i + 1 < args.count ? Int(args[i + 1]) : nil }
            ?? args.last { $0.hasPrefix("--send-threads=") }.flatMap { Int($0.dropFirst("--send-threads=".count)) }
        let http = options.stack.transport == .http
        return (given ?? (http ? 4 : 8)) * (http ? 500 : 50)
    }

    /// Waits for the send to end and counts it into `e`, with what `ctx`'s faults may repeat.
    func finish(_ ctx: ScenarioContext, timeout: Double, into e: inout ScenarioExecution) async throws {
        let perFault = Self.repeatsPerFault(ctx.options)
        e.results.append(try await finish(ctx, timeout: timeout, repeatsAllowed: ctx.faults.filter(\.maySendTwice).count * perFault))
        e.sendStartedAt = started
        e.repeatsPerFault = perFault
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
            throw UsageError(SinkUse.counts.problem(scenario: "send", target: "", sinkURL: nil)!)
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
