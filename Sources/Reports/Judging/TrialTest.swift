import Foundation
import Harness

/// Trials against trials, for one figure: the estimate, its confidence interval, and one of three answers.
///
/// Values are compared on the log scale (a ratio) or, for rates near zero, in absolute units. The spread comes
/// from the trials on both sides, pooled (each side's deviations from its own mean): with 3-5 trials a side,
/// pooling doubles the degrees of freedom that either side has alone. The answer (docs/regression-detection.md):
/// - **different** when the change is significant after a Bonferroni correction over every row compared
///   (two-sided t, family alpha 0.05) *and* at least `margin` in size; against a stored baseline (`drift` > 0)
///   its whole 90% interval must lie beyond the margin: the machine's shift between the sessions is a bias of
///   unknown size up to the drift, not noise the interval covers, so a change is the code's only if it exceeds
///   that bound by more than the sampling error;
/// - **same** when the 90% interval of the change lies inside ±`margin` (two one-sided tests at 5%, an
///   equivalence test: "not significant" alone is never "same");
/// - **unknown** otherwise: more trials would decide it.
/// `margin` is the largest of the change asked about, the noise floor (three trial-to-trial standard
/// deviations: a change inside that is what unchanged code does between runs on this machine) and, against a
/// stored baseline, the machine's own drift between the two sessions (`MachineCheck.driftAllowance`).
public struct TrialTest: Sendable, Equatable {
    public enum Answer: String, Codable, Sendable { case different, same, unknown }

    /// Change of the mean, on the test's scale (log ratio or absolute).
    public var estimate: Double
    /// 90% confidence interval of `estimate`.
    public var low: Double
    public var high: Double
    public var pValue: Double
    /// Pooled trial-to-trial standard deviation, on the test's scale.
    public var sigma: Double
    public var degreesOfFreedom: Int
    /// The change that counts: max(asked, noise floor), on the test's scale. Inside it, a change is "same".
    public var margin: Double
    /// What a change must clear to be "different": `margin`, or the drift plus `spread` when that is larger.
    public var decisionMargin: Double
    public var answer: Answer

    public static let familyAlpha = 0.05
    public static let equivalenceAlpha = 0.05
    /// Noise floor in trial-to-trial standard deviations.
    public static let noiseFloorSigmas = 3.0

    /// - Parameters:
    ///   - a: the reference trials (baseline, or build A), already on the test's scale.
    ///   - b: the candidate trials, on the same scale.
    ///   - asked: the smallest change that matters, on the test's scale.
    ///   - resolution: the smallest spread the measurement can show (histogram precision), on the test's scale.
    ///   - rows: how many rows the family has (Bonferroni).
    ///   - drift: the least margin the sessions' machine drift allows, on the test's scale (0 within one job).
    ///   - spread: what the figure may move by between sessions on top of the drift (`Comparison.sessionSpread`):
    ///     it widens only the margin a change must clear, so a change inside it is unknown, never the same.
    public init(a: [Double], b: [Double], asked: Double, resolution: Double, rows: Int, drift: Double = 0, spread: Double = 0) {
        let na = Double(a.count), nb = Double(b.count)
        let ma = a.reduce(0, +) / max(na, 1), mb = b.reduce(0, +) / max(nb, 1)
        estimate = mb - ma
        guard na > 0, nb > 0, let pooled = PooledSpread.sigma([a, b]) else {
            // One trial a side: no estimate of the noise, so nothing can be decided.
            degreesOfFreedom = 0
            sigma = .nan; low = -.infinity; high = .infinity; pValue = 1; margin = max(asked, drift); decisionMargin = max(margin, drift + spread)
            answer = .unknown
            return
        }
        let df = pooled.df
        degreesOfFreedom = df
        sigma = max(pooled.sigma, resolution)
        let se = sigma * (1 / na + 1 / nb).squareRoot()
        let dfD = Double(df)
        pValue = StudentT.twoSidedP(estimate / se, df: dfD)
        let half = StudentT.quantile(1 - Self.equivalenceAlpha, df: dfD) * se
        low = estimate - half
        high = estimate + half
        margin = max(asked, Self.noiseFloorSigmas * sigma, drift)
        decisionMargin = max(margin, drift + spread)
        let beyond = drift > 0 ? (low >= decisionMargin || high <= -decisionMargin) : abs(estimate) >= decisionMargin
        if pValue < Self.familyAlpha / Double(max(rows, 1)) && beyond {
            answer = .different
        } else if low > -margin && high < margin {
            answer = .same
        } else {
            answer = .unknown
        }
    }

    /// The smallest change `trials` a side would flag nine times in ten, given a trial-to-trial spread `sigma`
    /// and a family of `rows`: (t(1 - alpha/2rows) + t(0.9)) * sigma * sqrt(2/n), floored by the noise floor.
    public static func resolvable(sigma: Double, trials n: Int, rows: Int) -> Double {
        guard n >= 2, sigma.isFinite else { return .infinity }
        let df = Double(2 * n - 2)
        let t = StudentT.quantile(1 - familyAlpha / Double(2 * max(rows, 1)), df: df) + StudentT.quantile(0.9, df: df)
        return max(t * sigma * (2 / Double(n)).squareRoot(), noiseFloorSigmas * sigma)
    }
}
