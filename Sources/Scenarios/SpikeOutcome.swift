import Foundation
import Harness

/// What a spike did: p99 before and during it, errors during it, and the time p99 took to come back.
public struct SpikeOutcome: ScenarioResult, Equatable {
    public static let key = "spike"
    public static let title = "Spike"

    /// Median per-second p99 before the surge.
    public var levelP99Ms: Double
    /// Worst per-second p99 during the surge.
    public var spikeP99Ms: Double
    public var spikeErrorRate: Double
    public var spikeDropped: UInt64
    /// Seconds after the surge until p99 was back within `recoveryLimitMs` for three seconds; nil if it never was.
    public var recoveryS: Double?
    public var recoveryLimitMs: Double

    public init(levelP99Ms: Double, spikeP99Ms: Double, spikeErrorRate: Double, spikeDropped: UInt64, recoveryS: Double?, recoveryLimitMs: Double) {
        self.levelP99Ms = levelP99Ms
        self.spikeP99Ms = spikeP99Ms
        self.spikeErrorRate = spikeErrorRate
        self.spikeDropped = spikeDropped
        self.recoveryS = recoveryS
        self.recoveryLimitMs = recoveryLimitMs
    }

    public func render() -> String {
        String(format: "spike: p99 %.2f ms before, %.2f ms at worst during; errors during %.2f%%, dropped %llu; ", levelP99Ms, spikeP99Ms,
               spikeErrorRate * 100, spikeDropped)
            + (recoveryS.map { String(format: "recovered (p99 ≤ %.2f ms for 3 s) %.0f s after the surge\n", recoveryLimitMs, $0) }
               ?? String(format: "p99 did not come back under %.2f ms before the run ended\n", recoveryLimitMs))
    }

    public var headline: String { "recovery " + (recoveryS.map { String(format: "%.0f s", $0) } ?? "never") }

    public var problems: [String] { recoveryS == nil ? ["p99 did not recover before the run ended"] : [] }
}
