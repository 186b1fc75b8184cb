import Harness
import Foundation

/// The stress search's steps, knee and breaking point as text.
public enum StressTable {
    public static func rows(_ st: StressOutcome) -> [[String]] {
        st.steps.map { [String(format: "%.1f", $0.rate), String(format: "%.1f", $0.throughput), String(format: "%.2f", $0.p99Ms),
                        String(format: "%.2f%%", $0.errorRate * 100), String(format: "%.2f%%", $0.droppedRate * 100), $0.pass ? "meets SLO" : "BREAKS"] }
    }
    public static let header = ["iterations/s", "req/s", "p99 ms", "errors", "dropped", "SLO"]

    public static func render(_ st: StressOutcome) -> String {
        var out = Table.render(header: header, rows: rows(st))
        out += "knee: " + (st.knee.map { String(format: "%.1f iterations/s", $0) } ?? "none (the first step broke the SLO)")
        if let r = st.kneeRequestsPerSecond { out += String(format: " (%.1f req/s measured)", r) }
        out += "; breaking point: " + (st.breaking.map { String(format: "%.1f iterations/s", $0) } ?? "not reached") + "\n"
        return out
    }
}
