/// Everything recorded for one endpoint (or for all of them): counts and two latency histograms.
public struct EndpointStats: Sendable {
    public var name: String
    /// Latency from the moment the request was due (wrk2's corrected latency).
    public var latency: LatencyHistogram
    /// Service time from the moment the request was actually written (wrk2's -U, uncorrected).
    public var service: LatencyHistogram
    /// Responses by status class: index 1 is 1xx ... index 5 is 5xx.
    public var statusClasses: [UInt64]
    public var errors: [ErrorClass: UInt64]
    /// Responses that passed their check.
    public var ok: UInt64
    /// The server's own stage durations from Server-Timing, in `stageNames` order; empty unless captured.
    public var stages: [LatencyHistogram] = []
    public static let stageNames = ServerStages.names

    /// Records one response's Server-Timing stages.
    public mutating func recordStages(_ t: ServerStages) {
        if stages.isEmpty { stages = Self.stageNames.map { _ in .latency() } }
        stages[0].recordNanos(t.db)
        stages[1].recordNanos(t.cache)
        stages[2].recordNanos(t.wait)
        stages[3].recordNanos(t.render)
    }

    public init(name: String) {
        self.name = name
        latency = .latency()
        service = .latency()
        statusClasses = [UInt64](repeating: 0, count: 6)
        errors = [:]
        ok = 0
    }

    /// Requests that were sent and ended, well or badly.
    public var requests: UInt64 { statusClasses.reduce(0, +) + transportErrors }
    /// Requests that ended in an error of any class.
    public var errorCount: UInt64 { errors.values.reduce(0, +) }
    /// Requests that ended without any HTTP response.
    public var transportErrors: UInt64 {
        errors.reduce(0) { $0 + ([.http4xx, .http5xx, .http503, .checkFailed].contains($1.key) ? 0 : $1.value) }
    }

    /// Adds `other`'s counts and histograms exactly.
    public mutating func merge(_ other: EndpointStats) {
        latency.add(other.latency)
        service.add(other.service)
        for i in statusClasses.indices { statusClasses[i] += other.statusClasses[i] }
        for (k, v) in other.errors { errors[k, default: 0] += v }
        ok += other.ok
        if !other.stages.isEmpty {
            if stages.isEmpty { stages = other.stages } else { for i in stages.indices { stages[i].add(other.stages[i]) } }
        }
    }
}
