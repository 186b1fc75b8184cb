import Foundation
import Harness

/// How a run is judged, settled before anything starts: the baseline (checked against the run's scenario and
/// profile), the thresholds, and the mode. It makes the comparison and, through `Summary.judge`, the verdict.
public struct Judge: Sendable {
    public var baseline: Baseline?
    public var thresholds: Thresholds
    /// Show the comparison, judge by the KPIs alone.
    public var advisory: Bool
    public var allowOtherMachine: Bool

    public init(baseline: Baseline? = nil, thresholds: Thresholds = .default, advisory: Bool = false, allowOtherMachine: Bool = false) {
        self.baseline = baseline
        self.thresholds = thresholds
        self.advisory = advisory
        self.allowOtherMachine = allowOtherMachine
    }

    /// Reads the baseline and thresholds the options name; each error names its culprit.
    /// - Parameters:
    ///   - path: `--baseline`; nil means the conventional file when it exists.
    ///   - directory: where conventional baselines live.
    public static func resolve(scenario: String, profile: String, path: String?, skip: Bool, thresholdSpecs: [String],
                               advisory: Bool, allowOtherMachine: Bool, directory: String = "baselines") throws -> Judge {
        let thresholds = try Thresholds.default.overriding(thresholdSpecs)
        var baseline: Baseline?
        if !skip {
            if let path {
                baseline = try Baseline.load(path, scenario: scenario, profile: profile)
            } else {
                let p = Baseline.path(directory: directory, scenario: scenario, profile: profile)
                if FileManager.default.fileExists(atPath: p) { baseline = try Baseline.load(p, scenario: scenario, profile: profile) }
            }
        }
        return Judge(baseline: baseline, thresholds: thresholds, advisory: advisory, allowOtherMachine: allowOtherMachine)
    }

    public func comparison(_ s: Summary) -> Comparison? {
        baseline.map { Comparison.compare(s, with: $0, thresholds: thresholds, allowOtherMachine: allowOtherMachine) }
    }

    /// `s` with its one verdict, and the comparison behind it.
    public func judged(_ s: Summary) -> (Summary, Comparison?) {
        var s = s
        let c = comparison(s)
        s.judge(comparison: c, advisory: advisory)
        return (s, c)
    }
}
