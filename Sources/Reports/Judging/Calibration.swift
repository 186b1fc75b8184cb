import Foundation
import Harness

/// This machine's A/A noise for one scenario and profile, from K trials of unchanged code on fresh stacks:
/// per figure, the trial-to-trial standard deviation, and what that lets a comparison resolve.
public struct Calibration: Codable, Sendable, Equatable {
    public var trials: Int
    /// Per scope, per metric: the standard deviation on the test's scale (log ratio, or percentage points).
    public var noise: [String: [String: Double]]
    /// How many rows a comparison of this scenario tests (the Bonferroni family).
    public var rows: Int
    /// Trials a side at which overall p95 (or the scenario's figure) resolves the asked change, or, when the noise
    /// floor lies above that, the fewest at which more trials stop helping (within 5% of the floor); at most the cap.
    public var recommendedTrials: Int
    /// Scenario figures where higher is better (the headline names such a figure first: the scenario's answer).
    public var risingFigures: [String]?

    public static let maxTrials = 10

    public init(trials: [TrialFigures], thresholds: Thresholds = .default) {
        self.trials = trials.count
        var noise: [String: [String: Double]] = [:]
        func sd(_ xs: [Double]) -> Double? { PooledSpread.sigma([xs])?.sigma }
        for scope in Set(trials.flatMap { $0.scopes.keys }) {
            for m in ComparedMetric.allCases {
                let xs = trials.compactMap { $0.value(scope, m) }.map { m.logScale ? log(max($0, 1e-9)) : $0 }
                if let s = sd(xs) { noise[scope, default: [:]][m.rawValue] = max(s, m.logScale ? 0.001 : 0.01) }
            }
        }
        for name in Set(trials.flatMap { $0.figures.keys }) {
            if let s = sd(trials.compactMap { $0.figures[name] }.map { log(max($0, 1e-9)) }) { noise["scenario", default: [:]][name] = max(s, 0.001) }
        }
        self.noise = noise
        let rising = Set(noise["scenario"]?.keys.map { $0 } ?? []).filter { TrialFigures.higherIsBetter($0, in: trials) }.sorted()
        risingFigures = rising.isEmpty ? nil : rising
        let rows = noise.values.reduce(0) { $0 + $1.count }
        self.rows = rows
        let sigma = noise["overall"]?["p95"] ?? noise["scenario"]?.values.max() ?? .nan
        let asked = noise["overall"] != nil ? thresholds.asked(.p95) : log1p(thresholds.figureChange)
        let target = max(asked, TrialTest.noiseFloorSigmas * sigma) * 1.05
        recommendedTrials = (3...Self.maxTrials).first { TrialTest.resolvable(sigma: sigma, trials: $0, rows: rows) <= target } ?? Self.maxTrials
    }

    /// The smallest change (percent; percentage points for an error rate) that `n` trials a side resolve.
    public func resolvable(_ scope: String, _ metric: String, trials n: Int) -> Double? {
        guard let s = noise[scope]?[metric] else { return nil }
        let r = TrialTest.resolvable(sigma: s, trials: n, rows: rows)
        return metric == ComparedMetric.errorRate.rawValue ? r : (exp(r) - 1) * 100
    }

    /// What this machine can honestly resolve, as a table and one headline.
    public func render(scenario: String, profile: String) -> String {
        let ns = [3, 5, 10]
        var out = "A/A noise over \(trials) trials (one trial-to-trial standard deviation) and the smallest change a comparison resolves:\n"
        let scopes = (noise["overall"] != nil ? ["overall"] : []) + (noise["scenario"] != nil ? ["scenario"] : [])
        let rows = scopes.flatMap { scope in
            (noise[scope] ?? [:]).keys.sorted().map { m -> [String] in
                let pp = m == ComparedMetric.errorRate.rawValue
                let s = noise[scope]![m]!
                return [scope, m, pp ? String(format: "%.2f pp", s) : String(format: "%.1f%%", (exp(s) - 1) * 100)]
                    + ns.map { n in resolvable(scope, m, trials: n).map { String(format: pp ? "%.2f pp" : "%.1f%%", $0) } ?? "n/a" }
            }
        }
        out += Table.render(header: ["scope", "metric", "noise"] + ns.map { "\($0) trials" }, rows: rows)
        let n = recommendedTrials
        let rising = Set(risingFigures ?? [])
        if let r = resolvable("overall", "p95", trials: n) {
            out += String(format: "%@ %@ resolves a %.0f%% p95 change with %d trials a side\n", scenario, profile, r, n)
        } else if let name = noise["scenario"]?.keys.min(by: { (rising.contains($0) ? 0 : 1, $0) < (rising.contains($1) ? 0 : 1, $1) }),
                  let r = resolvable("scenario", name, trials: n) {
            out += String(format: "%@ %@ resolves a %.0f%% change of %@ with %d trials a side\n", scenario, profile, r, name, n)
        }
        return out
    }
}
