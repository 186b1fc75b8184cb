import Foundation
import Harness

/// A send's result in the reports. The type itself lives with the engine's analysis: planned faults read its
/// per-second repeats.
extension EmailOutcome: ScenarioResult {
    public static let key = "email"
    public static let title = "Send"

    public func render() -> String {
        var out = String(format: "send over %@: %d recipients in %.1f s: %.0f emails/s (%.0f per hour)\n",
                         transport, recipients, durationS, emailsPerS, emailsPerHour)
        out += String(format: "delivery time (enqueue to acceptance) ms: p50 %.0f  p95 %.0f  p99 %.0f  max %.0f\n",
                      deliveryMs.p50, deliveryMs.p95, deliveryMs.p99, deliveryMs.max)
        out += "sink: accepted \(sink.accepted)  unique \(sink.unique)  duplicates \(sink.duplicates)  rejected \(sink.rejected)\n"
        out += "campaignd: " + states.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: "  ")
        out += String(format: "  (success %.2f%%)\n", successRate * 100)
        if let c = campaigndCpuSPer1000 { out += String(format: "campaignd CPU: %.3f s per 1,000 emails\n", c) }
        if let g = engagement {
            out += "engagement by the sink: opens \(g["opens"] ?? 0), clicks \(g["clicks"] ?? 0), webhook items \(g["webhook_items"] ?? 0), failed requests \(g["failures"] ?? 0)\n"
        }
        for p in problems { out += "problem: \(p)\n" }
        return out
    }

    public var headline: String {
        String(format: "%.0f emails/s, delivery p99 %.1f s, %d duplicates", emailsPerS, deliveryMs.p99 / 1000, sink.duplicates)
    }

    /// emails/s and delivery p99 are compared; the per-hour rate, delivery in seconds and the success rate are
    /// the forms seed 001's KPIs state.
    public var figures: [String: ScenarioFigure] {
        ["emails_per_s": ScenarioFigure(emailsPerS, higherIsBetter: true),
         "delivery_p99_ms": ScenarioFigure(deliveryMs.p99, higherIsBetter: false),
         "emails_per_hour": ScenarioFigure(emailsPerHour, higherIsBetter: true, compared: false),
         "delivery_p50_s": ScenarioFigure(deliveryMs.p50 / 1000, higherIsBetter: false, compared: false),
         "delivery_p95_s": ScenarioFigure(deliveryMs.p95 / 1000, higherIsBetter: false, compared: false),
         "delivery_p99_s": ScenarioFigure(deliveryMs.p99 / 1000, higherIsBetter: false, compared: false),
         "success_rate": ScenarioFigure(successRate, higherIsBetter: true, compared: false)]
    }

    public var measured: Bool { sink.unique > 0 }

    public var chart: ResultChart? {
        ResultChart(id: "chart-emails", title: "Emails accepted per second", xLabel: "seconds", yLabel: "emails/s",
                    series: [.init(name: "emails/s", color: "#1864ab", points: perSecond.map { ($0.t, Double($0.emails)) })])
    }
}
