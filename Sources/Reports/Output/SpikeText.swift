import Harness
import Foundation

/// The spike's figures as one paragraph.
public enum SpikeText {
    public static func render(_ sp: SpikeOutcome) -> String {
        String(format: "spike: p99 %.2f ms before, %.2f ms at worst during; errors during %.2f%%, dropped %llu; ", sp.levelP99Ms, sp.spikeP99Ms,
               sp.spikeErrorRate * 100, sp.spikeDropped)
            + (sp.recoveryS.map { String(format: "recovered (p99 ≤ %.2f ms for 3 s) %.0f s after the surge\n", sp.recoveryLimitMs, $0) }
               ?? String(format: "p99 did not come back under %.2f ms before the run ended\n", sp.recoveryLimitMs))
    }
}
