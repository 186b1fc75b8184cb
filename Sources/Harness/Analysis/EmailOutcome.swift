import Foundation

/// What a send measured: throughput, delivery time, what the sink received and what campaignd recorded.
public struct EmailOutcome: Sendable, Codable, Equatable {
    public struct SinkCounts: Sendable, Codable, Equatable {
        public var accepted: Int
        public var unique: Int
        public var duplicates: Int
        public var rejected: Int
        public init(accepted: Int, unique: Int, duplicates: Int, rejected: Int) {
            self.accepted = accepted
            self.unique = unique
            self.duplicates = duplicates
            self.rejected = rejected
        }
    }
    /// Emails accepted by the sink in one second of the send.
    public struct Second: Sendable, Codable, Equatable {
        public var t: Double
        public var emails: Int
        public init(t: Double, emails: Int) {
            self.t = t
            self.emails = emails
        }
    }
    public var transport: String
    /// Recipients asked for (the scenario's N) and resolved by campaignd.
    public var requested: Int
    public var recipients: Int
    /// From the send request to the last acceptance at the sink.
    public var durationS: Double
    public var emailsPerS: Double
    public var emailsPerHour: Double
    /// Enqueue (outbox row) to acceptance at the sink, in milliseconds.
    public var deliveryMs: DeliveryPercentiles
    public var sink: SinkCounts
    /// campaignd's final states: sent, bounced, failed (and queued if the send did not finish).
    public var states: [String: Int]
    /// sent / recipients.
    public var successRate: Double
    public var perSecond: [Second]
    /// What does not add up (lost or repeated messages, an unfinished send); empty when all is consistent.
    public var problems: [String]
    /// campaignd's CPU seconds per 1,000 emails, when its process was sampled.
    public var campaigndCpuSPer1000: Double?
    /// What the sink's simulated recipients did: opens and clicks fetched, webhook items sent, failed requests.
    public var engagement: [String: Int]?

    public struct DeliveryPercentiles: Sendable, Codable, Equatable {
        public var p50, p95, p99, max: Double
        public init(p50: Double, p95: Double, p99: Double, max: Double) {
            self.p50 = p50
            self.p95 = p95
            self.p99 = p99
            self.max = max
        }
    }

    /// Repeats allowed: what was in flight when a planned fault cut the sender's transactions short (a claimed
    /// batch per sender thread per such fault: campaignd's kill, PostgreSQL's kill or restart).
    public var inFlightAtKills: Int?
    /// Repeated deliveries per second of the send, to tell which fault caused them.
    public var repeatsPerSecond: [Second]?

    public init(transport: String, requested: Int, recipients: Int, durationS: Double, deliveryMs: DeliveryPercentiles, sink: SinkCounts,
                states: [String: Int], perSecond: [Second], inFlightAtKills: Int = 0) {
        self.inFlightAtKills = inFlightAtKills > 0 ? inFlightAtKills : nil
        self.transport = transport
        self.requested = requested
        self.recipients = recipients
        self.durationS = durationS
        let sent = states["sent"] ?? 0
        emailsPerS = durationS > 0 ? Double(sink.unique) / durationS : 0
        emailsPerHour = emailsPerS * 3600
        self.deliveryMs = deliveryMs
        self.sink = sink
        self.states = states
        successRate = recipients > 0 ? Double(sent) / Double(recipients) : 0
        self.perSecond = perSecond
        var p: [String] = []
        if recipients != requested { p.append("campaignd resolved \(recipients) recipients, \(requested) were asked for") }
        if let q = states["queued"], q > 0 { p.append("\(q) recipients still queued: the send did not finish") }
        if states.values.reduce(0, +) != recipients { p.append("final states add up to \(states.values.reduce(0, +)), not \(recipients)") }
        if sink.unique != sent { p.append("the sink holds \(sink.unique) unique messages, campaignd marked \(sent) sent") }
        if sink.duplicates > inFlightAtKills {
            p.append("\(sink.duplicates) duplicate deliveries" + (inFlightAtKills > 0 ? ", more than the \(inFlightAtKills) in flight at the planned faults" : ""))
        }
        problems = p
    }
}
