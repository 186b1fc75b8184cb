import Foundation
import Synchronization

/// Requests served, by route and status class, with a latency recorder per route: the server's own count,
/// which the harness's integration test compares with what it sent.
public final class HTTPMetrics: Sendable {
    private struct Counts {
        var byRouteStatus: [String: [Int: UInt64]] = [:]
        var latency: [String: LatencyRecorder] = [:]
    }
    private let state = Mutex(Counts())

    public init() {}

    func record(route: String, status: Int, nanos: UInt64) {
        let rec: LatencyRecorder = state.withLock { s in
            s.byRouteStatus[route, default: [:]][status / 100, default: 0] += 1
            if let r = s.latency[route] { return r }
            let r = LatencyRecorder()
            s.latency[route] = r
            return r
        }
        rec.record(nanos: nanos)
    }

    /// Total requests answered, over every route.
    public var total: UInt64 { state.withLock { $0.byRouteStatus.values.reduce(0) { $0 + $1.values.reduce(0, +) } } }

    /// Snapshot of counts: route to status class (2 for 2xx...) to count.
    public var counts: [String: [Int: UInt64]] { state.withLock { $0.byRouteStatus } }

    /// Latency recorders by route.
    public var latencies: [String: LatencyRecorder] { state.withLock { $0.latency } }

    /// "METHOD /path" with numeric and token segments replaced, so labels stay few.
    public static func routeLabel(method: String, path: String) -> String {
        var out = method + " "
        for seg in path.split(separator: "/", omittingEmptySubsequences: true) {
            out += "/"
            out += seg.allSatisfy(\.isNumber) ? "{id}" : (seg.count >= 24 ? "{token}" : String(seg))
        }
        return path == "/" ? out + "/" : out
    }
}
