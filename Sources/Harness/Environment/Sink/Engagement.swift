import Foundation
import NIOCore
import Synchronization
import Harness

/// How recipients "engage" with delivered mail, so that a send also produces event traffic.
public struct EngagementPlan: Sendable, Codable, Equatable {
    /// Fraction of delivered messages whose open pixel is fetched.
    public var openRate: Double = 0
    /// Fraction of delivered messages whose first tracked link is followed.
    public var clickRate: Double = 0
    /// Send a `delivered` provider webhook for every accepted message (batched, once a second).
    public var webhooks = false
    /// campaignd's base URL, for webhooks (the tracking URLs come with the messages).
    public var campaigndURL: String?
    public var webhookSecret = "mailstorm-webhook"
    /// Opens and clicks fetched per second at most; the rest wait.
    public var maxRequestsPerSecond = 2000

    enum CodingKeys: String, CodingKey {
        case webhooks
        case openRate = "open_rate", clickRate = "click_rate", campaigndURL = "campaignd_url"
        case webhookSecret = "webhook_secret", maxRequestsPerSecond = "max_requests_per_second"
    }

    public init() {}

    public var isActive: Bool { openRate > 0 || clickRate > 0 || webhooks }
}

/// A delivered message as a scenario replays it: its open pixel's path and its Message-ID.
public struct SampledMessage: Sendable, Equatable {
    public var openPath: String
    public var messageID: String
}

/// Plays an `EngagementPlan`: queues opens, clicks and webhooks as messages arrive and sends them in the background.
public final class Engagement: Sendable {
    struct State {
        var plan: EngagementPlan
        var sample = 0
        var samples: [SampledMessage] = []
        var urls: [String] = []
        var head = 0
        var webhookItems: [String] = []
        var opens = 0, clicks = 0, webhooks = 0, failures = 0
        var started = false
        var running = true
    }
    private let state: Mutex<State>

    init(plan: EngagementPlan) { state = Mutex(State(plan: plan)) }

    public var plan: EngagementPlan {
        get { state.withLock { $0.plan } }
        set { state.withLock { $0.plan = newValue } }
    }

    /// Keep the first `sample` delivered messages (from now on) for a scenario to replay; nobody fetches them here.
    public var sample: Int {
        get { state.withLock { $0.sample } }
        set { state.withLock { $0.sample = newValue; $0.samples = [] } }
    }
    public var samples: [SampledMessage] { state.withLock { $0.samples } }

    /// Requests made so far: opens, clicks, webhook items, failures.
    public var counts: (opens: Int, clicks: Int, webhookItems: Int, failures: Int) {
        state.withLock { ($0.opens, $0.clicks, $0.webhooks, $0.failures) }
    }

    func delivered(messageID: String?, body: ByteBuffer?, links: [String: String]) {
        let (plan, sampling) = state.withLock { ($0.plan, $0.samples.count < $0.sample) }
        guard plan.isActive || sampling else { return }
        var open: String? = links["open_url"], click: String? = links["click_url"]
        if open == nil, click == nil, let body, plan.openRate > 0 || plan.clickRate > 0 || sampling {
            let text = String(buffer: body)
            open = Self.url(in: text, marker: "/t/o/")
            click = Self.url(in: text, marker: "/t/c/")
        }
        state.withLock { s in
            if s.samples.count < s.sample, let open, let id = messageID, let path = open.range(of: "/t/o/") {
                s.samples.append(SampledMessage(openPath: String(open[path.lowerBound...]), messageID: id))
            }
            guard plan.isActive else { return }
            if let open, Double.random(in: 0..<1) < plan.openRate { s.urls.append(open) }
            if let click, Double.random(in: 0..<1) < plan.clickRate { s.urls.append(click) }
            if plan.webhooks, let id = messageID {
                s.webhookItems.append("{\"event\":\"delivered\",\"message_id\":\(Self.quote(id)),\"timestamp\":\(Date().timeIntervalSince1970)}")
            }
            if !s.started {
                s.started = true
                let t = Thread { [self] in run() }
                t.name = "sink-engagement"
                t.start()
            }
        }
    }

    static func quote(_ s: String) -> String { String(decoding: try! JSONEncoder().encode(s), as: UTF8.self) }

    /// The URL around the first `marker` in an HTML body: from "http" to the closing quote.
    static func url(in text: String, marker: String) -> String? {
        guard let m = text.range(of: marker), let start = text[..<m.lowerBound].range(of: "http", options: .backwards) else { return nil }
        let tail = text[start.lowerBound...]
        let end = tail.firstIndex(where: { $0 == "\"" || $0 == "'" || $0 == ">" || $0.isWhitespace }) ?? tail.endIndex
        return String(tail[..<end])
    }

    /// Sends what is queued, ten times a second, on a thread of its own with plain sockets: URLSession on Linux
    /// crashed (FoundationNetworking's task registry) when a stop cancelled requests in flight.
    private func run() {
        var lastWebhook = Date()
        while state.withLock({ $0.running }) {
            usleep(100_000)
            let plan = self.plan
            let batch: [String] = state.withLock { s in
                let n = min(s.urls.count - s.head, max(plan.maxRequestsPerSecond / 10, 1))
                defer {
                    s.head += n
                    if s.head > 10_000 { s.urls.removeFirst(s.head); s.head = 0 }
                }
                return Array(s.urls[s.head..<s.head + n])
            }
            for u in batch {
                // Opens answer 200 and clicks 302; a redirect is never followed to the campaign's real destination.
                let status = TCPExchange.http("GET", u)
                state.withLock { s in
                    if status.map({ $0 >= 400 }) ?? true { s.failures += 1 }
                    if u.contains("/t/o/") { s.opens += 1 } else { s.clicks += 1 }
                }
            }
            if Date().timeIntervalSince(lastWebhook) >= 1, let base = plan.campaigndURL {
                lastWebhook = Date()
                let items = state.withLock { s -> [String] in defer { s.webhookItems = [] }; return s.webhookItems }
                for start in stride(from: 0, to: items.count, by: 1000) {
                    let chunk = items[start..<min(start + 1000, items.count)]
                    let status = TCPExchange.http("POST", base + "/api/webhooks/provider", body: "[" + chunk.joined(separator: ",") + "]",
                                                  headers: ["Authorization: Bearer \(plan.webhookSecret)", "Content-Type: application/json"])
                    state.withLock { s in if status == 202 { s.webhooks += chunk.count } else { s.failures += 1 } }
                }
            }
        }
    }

    func stop() { state.withLock { $0.running = false } }
}
