import Foundation

/// What a load run measured: exact histograms, counts, and the per-second series.
public struct RunResult: Sendable {
    /// Wall-clock start (for reports only; all durations come from the monotonic clock).
    public var startedAt: Date
    /// From the first due time to the last completion, in seconds.
    public var durationSeconds: Double
    public var overall: EndpointStats
    /// Per endpoint, in the order the journeys name them.
    public var endpoints: [EndpointStats]
    /// Per status class (index 1...5), latency from due time.
    public var byStatusClass: [LatencyHistogram]
    /// Iterations not started because `maxInFlight` were already running.
    public var droppedIterations: UInt64
    /// Iterations started and completed (all steps ran).
    public var iterationsCompleted: UInt64
    public var iterationsStarted: UInt64
    /// The per-second series, merged across shards (filled in by LoadRunner).
    public var intervals: [IntervalRow]
    /// Highest number of connections open at once.
    public var peakConnections: Int
    /// Highest number of iterations in flight at once.
    public var peakInFlight: Int
    /// Whether a signal stopped the run early.
    public var interrupted: Bool
    /// Requests that went out more than 1 ms after they were due because every connection under the limit was
    /// busy: the generator's pool, not the server, held them (their latency still counts from the due time).
    public var heldForConnection: UInt64 = 0

    public init(startedAt: Date, durationSeconds: Double, overall: EndpointStats, endpoints: [EndpointStats],
                byStatusClass: [LatencyHistogram], droppedIterations: UInt64, iterationsCompleted: UInt64,
                iterationsStarted: UInt64, intervals: [IntervalRow], peakConnections: Int, peakInFlight: Int, interrupted: Bool) {
        self.startedAt = startedAt
        self.durationSeconds = durationSeconds
        self.overall = overall
        self.endpoints = endpoints
        self.byStatusClass = byStatusClass
        self.droppedIterations = droppedIterations
        self.iterationsCompleted = iterationsCompleted
        self.iterationsStarted = iterationsStarted
        self.intervals = intervals
        self.peakConnections = peakConnections
        self.peakInFlight = peakInFlight
        self.interrupted = interrupted
    }

    /// Responses per second over the run.
    public var throughput: Double { durationSeconds > 0 ? Double(overall.requests) / durationSeconds : 0 }

    /// Combines runs made one after another (trials): counts and histograms merge exactly, durations add up,
    /// and the per-second series are concatenated.
    public static func sequential(_ parts: [RunResult]) -> RunResult {
        var out = merge(parts)
        out.durationSeconds = parts.reduce(0) { $0 + $1.durationSeconds }
        out.peakConnections = parts.map(\.peakConnections).max() ?? 0
        out.peakInFlight = parts.map(\.peakInFlight).max() ?? 0
        var offset = 0.0
        out.intervals = parts.flatMap { p -> [IntervalRow] in
            defer { offset += p.durationSeconds.rounded(.up) }
            return p.intervals.map { var r = $0; r.t += offset; return r }
        }
        return out
    }

    /// Combines shards that ran side by side; histograms and counts merge exactly, never averaged.
    public static func merge(_ parts: [RunResult]) -> RunResult {
        var out = parts[0]
        for p in parts.dropFirst() {
            out.startedAt = min(out.startedAt, p.startedAt)
            out.durationSeconds = max(out.durationSeconds, p.durationSeconds)
            out.overall.merge(p.overall)
            for i in out.endpoints.indices { out.endpoints[i].merge(p.endpoints[i]) }
            for i in out.byStatusClass.indices { out.byStatusClass[i].add(p.byStatusClass[i]) }
            out.droppedIterations += p.droppedIterations
            out.iterationsCompleted += p.iterationsCompleted
            out.iterationsStarted += p.iterationsStarted
            out.peakConnections += p.peakConnections
            out.peakInFlight += p.peakInFlight
            out.interrupted = out.interrupted || p.interrupted
            out.heldForConnection += p.heldForConnection
        }
        return out
    }
}

extension RunResult {
    /// A run that sent no generated load (a send or an import measures something else).
    public static func empty(startedAt: Date, durationSeconds: Double, interrupted: Bool = false) -> RunResult {
        RunResult(startedAt: startedAt, durationSeconds: durationSeconds, overall: EndpointStats(name: "all"), endpoints: [],
                  byStatusClass: (0...5).map { _ in LatencyHistogram.latency() }, droppedIterations: 0, iterationsCompleted: 0,
                  iterationsStarted: 0, intervals: [], peakConnections: 0, peakInFlight: 0, interrupted: interrupted)
    }
}
