import Harness
import Environment
import Foundation

/// The planned faults, one row each: when each took effect and ended, what the load saw meanwhile, and how
/// long the service took to meet its SLO again.
public enum FaultText {
    /// With a send, two more columns: emails delivered twice after each fault, and how many it may repeat.
    public static func header(_ f: FaultOutcome) -> [String] {
        ["fault", "began s", "back s", "requests", "errors", "p99 ms", "recovery s"] + (withSend(f) ? ["emails twice", "may repeat"] : [])
    }

    static func withSend(_ f: FaultOutcome) -> Bool { f.windows.contains { $0.emailsRepeated != nil } }

    public static func rows(_ f: FaultOutcome) -> [[String]] {
        f.windows.map { w -> [String] in
            let recovery = !f.recoveryJudged ? "-" : w.recoverySeconds.map { String(format: "%.1f", $0) } ?? "never"
            let row: [String] = [w.fault, String(format: "%.1f", w.began), String(format: "%.1f", w.ended), "\(w.requests)", "\(w.errors)",
                                 w.requests > 0 ? String(format: "%.2f", w.p99Ms) : "-", recovery]
            guard withSend(f) else { return row }
            return row + [w.emailsRepeated.map { String($0) } ?? "-", w.repeatsAllowed.map { String($0) } ?? "-"]
        }
    }

    /// What "recovered" means, in one line.
    public static func rule(_ f: FaultOutcome) -> String {
        guard f.recoveryJudged else { return "faults (no request load: the scenario's own checks judge them):" }
        return String(format: "faults (recovered: from then on every second p99 ≤ %.0f ms and errors ≤ %.0f%%; limit %.0f s):",
                      f.slo.p99Ms, f.slo.errorRate * 100, f.recoveryLimitSeconds)
    }

    public static func render(_ f: FaultOutcome) -> String { rule(f) + "\n" + Table.render(header: header(f), rows: rows(f)) }
}
