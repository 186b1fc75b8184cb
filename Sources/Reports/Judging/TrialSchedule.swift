/// When to stop adding trials, as Pinpoint does when its answer is "unknown": a comparison that cannot decide
/// yet gets another trial (a side), until it decides or a cap on trials or time is reached. Inconclusive at
/// the cap stays inconclusive.
public struct TrialSchedule: Sendable, Equatable {
    public var minTrials: Int
    public var maxTrials: Int
    public var maxSeconds: Double

    public init(minTrials: Int, maxTrials: Int, maxSeconds: Double) {
        self.minTrials = minTrials
        self.maxTrials = max(minTrials, maxTrials)
        self.maxSeconds = maxSeconds
    }

    public enum Step: Equatable, Sendable {
        case another
        case stop(String)
    }

    /// - Parameters:
    ///   - done: trials (a side) so far.
    ///   - elapsed: seconds since the first trial started.
    ///   - perTrial: seconds the last trial (or pair) took.
    ///   - comparison: the comparison of what has been run so far; nil when nothing is compared.
    public func next(done: Int, elapsed: Double, perTrial: Double, comparison: Comparison?) -> Step {
        if done < minTrials { return .another }
        guard let c = comparison else { return .stop("no comparison") }
        if c.outcome != .inconclusive { return .stop("decided: \(c.outcome.rawValue)") }
        if !c.machine.comparable { return .stop(c.machine.speedMoved ? "the machine's speed moved since the baseline: more trials cannot take that out" : "another machine: more trials cannot help") }
        if done >= maxTrials { return .stop("cap of \(maxTrials) trials reached") }
        if elapsed + perTrial > maxSeconds { return .stop("cap of \(Int(maxSeconds / 60)) minutes reached") }
        return .another
    }
}
