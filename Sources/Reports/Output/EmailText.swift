import Harness
import Foundation

/// The send scenario's figures as text.
public enum EmailText {
    public static func render(_ e: EmailOutcome) -> String {
        var out = String(format: "send over %@: %d recipients in %.1f s: %.0f emails/s (%.0f per hour)\n",
                         e.transport, e.recipients, e.durationS, e.emailsPerS, e.emailsPerHour)
        out += String(format: "delivery time (enqueue to acceptance) ms: p50 %.0f  p95 %.0f  p99 %.0f  max %.0f\n",
                      e.deliveryMs.p50, e.deliveryMs.p95, e.deliveryMs.p99, e.deliveryMs.max)
        out += "sink: accepted \(e.sink.accepted)  unique \(e.sink.unique)  duplicates \(e.sink.duplicates)  rejected \(e.sink.rejected)\n"
        out += "campaignd: " + e.states.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: "  ")
        out += String(format: "  (success %.2f%%)\n", e.successRate * 100)
        if let c = e.campaigndCpuSPer1000 { out += String(format: "campaignd CPU: %.3f s per 1,000 emails\n", c) }
        if let g = e.engagement {
            out += "engagement by the sink: opens \(g["opens"] ?? 0), clicks \(g["clicks"] ?? 0), webhook items \(g["webhook_items"] ?? 0), failed requests \(g["failures"] ?? 0)\n"
        }
        for p in e.problems { out += "problem: \(p)\n" }
        return out
    }
}
