import Harness
import Foundation

/// The capacity sweep and its USL fit as text.
public enum CapacityText {
    public static let header = ["VUs", "req/s", "p99 ms", "errors", "SLO"]

    public static func rows(_ c: CapacityOutcome) -> [[String]] {
        c.levels.map { ["\($0.vus)", String(format: "%.1f", $0.throughput), String(format: "%.2f", $0.p99Ms),
                        String(format: "%.2f%%", $0.errorRate * 100), $0.pass ? "meets SLO" : "BREAKS"] }
    }

    public static func summary(_ c: CapacityOutcome) -> String {
        var out = ""
        if let u = c.usl {
            out += String(format: "USL fit: lambda %.1f req/s per VU, sigma %.4f, kappa %.6f, R² %.3f", u.lambda, u.sigma, u.kappa, u.r2)
            if let n = c.peakConcurrency, let x = c.peakRps { out += String(format: "; peak %.0f req/s at %.0f VUs", x, n) }
            out += "\n"
        }
        if let k = c.kneeRps, let n = c.instancesNeeded {
            out += String(format: "knee: %.1f req/s at p99 ≤ 100 ms; %.0f req/s needs %d campaignd instance(s) of this size\n", k, c.targetRps, n)
        } else {
            out += "knee: no level met the SLO\n"
        }
        return out
    }

    public static func render(_ c: CapacityOutcome) -> String { Table.render(header: header, rows: rows(c)) + summary(c) }
}
