import Harness
import Foundation

/// Per endpoint: the client's latency beside campaignd's own stages (Server-Timing).
public enum StagesText {
    public static let header = ["endpoint", "client p50", "client p99"] + EndpointStats.stageNames.flatMap { ["\($0) p50", "\($0) p99"] }

    public static func rows(_ st: [String: [String: Summary.Percentiles]], summary s: Summary) -> [[String]] {
        st.sorted { $0.key < $1.key }.map { name, stages in
            let client = s.perEndpoint[name]?.latencyMs
            return [name, client.map { String(format: "%.2f", $0.p50) } ?? "", client.map { String(format: "%.2f", $0.p99) } ?? ""]
                + EndpointStats.stageNames.flatMap { k in
                    [stages[k].map { String(format: "%.2f", $0.p50) } ?? "", stages[k].map { String(format: "%.2f", $0.p99) } ?? ""] }
        }
    }

    public static func render(_ st: [String: [String: Summary.Percentiles]], summary s: Summary) -> String {
        "where the time goes (ms; client from intended send, stages from campaignd's Server-Timing):\n"
            + Table.render(header: header, rows: rows(st, summary: s))
    }
}
