/// Maps an iteration number to the moment it is due, in closed form, so pacing needs no clock to test.
public protocol Pacer: Sendable {
    /// Nanoseconds after the start at which iteration `n` (0-based) is due, or nil once the schedule has ended.
    func dueTime(ofIteration n: UInt64) -> UInt64?
    /// The schedule's total length in nanoseconds.
    var durationNanos: UInt64 { get }
    /// The arrival rate, in iterations per second, at `elapsedNanos` into the schedule.
    func rate(atNanos elapsedNanos: UInt64) -> Double
}

/// A constant arrival rate: iteration n is due at n / rate.
public struct ConstantRate: Pacer {
    public let perSecond: Double
    public let durationNanos: UInt64

    public init(perSecond: Double, durationSeconds: Double) {
        precondition(perSecond > 0 && durationSeconds > 0)
        self.perSecond = perSecond
        self.durationNanos = UInt64(durationSeconds * 1e9)
    }

    public func dueTime(ofIteration n: UInt64) -> UInt64? {
        let t = Double(n) / perSecond * 1e9
        return t < Double(durationNanos) ? UInt64(t) : nil
    }

    public func rate(atNanos _: UInt64) -> Double { perSecond }
}

/// One stage of a ramping schedule: the rate moves linearly to `target` over `durationSeconds` (k6's ramping-arrival-rate).
public struct RateStage: Sendable, Equatable, Codable {
    public var target: Double
    public var durationSeconds: Double
    public init(target: Double, durationSeconds: Double) {
        self.target = target
        self.durationSeconds = durationSeconds
    }
}

/// A piecewise-linear arrival rate. The expected hit count is integrated per stage and inverted exactly.
public struct RampingRate: Pacer {
    public let startRate: Double
    public let stages: [RateStage]
    public let durationNanos: UInt64
    /// Cumulative hits at the start of each stage.
    private let hitsBefore: [Double]
    private let startNanos: [Double]

    public init(startRate: Double, stages: [RateStage]) {
        precondition(!stages.isEmpty && startRate >= 0 && stages.allSatisfy { $0.target >= 0 && $0.durationSeconds > 0 })
        self.startRate = startRate
        self.stages = stages
        var hits = [Double](), starts = [Double]()
        var h = 0.0, t = 0.0, r0 = startRate
        for s in stages {
            hits.append(h); starts.append(t)
            h += (r0 + s.target) / 2 * s.durationSeconds
            t += s.durationSeconds * 1e9
            r0 = s.target
        }
        self.hitsBefore = hits
        self.startNanos = starts
        self.durationNanos = UInt64(t)
    }

    public func dueTime(ofIteration n: UInt64) -> UInt64? {
        let want = Double(n)
        var r0 = startRate
        for (i, s) in stages.enumerated() {
            let inStage = (r0 + s.target) / 2 * s.durationSeconds
            let local = want - hitsBefore[i]
            if local < inStage {
                // Solve r0*t + (r1-r0)/(2D) * t^2 = local for t in [0, D].
                let a = (s.target - r0) / (2 * s.durationSeconds)
                let t: Double
                if abs(a) < 1e-12 {
                    t = local / r0
                } else {
                    let disc = r0 * r0 + 4 * a * local
                    t = (-r0 + disc.squareRoot()) / (2 * a)
                }
                return UInt64(startNanos[i] + max(0, t) * 1e9)
            }
            r0 = s.target
        }
        return nil
    }

    public func rate(atNanos elapsedNanos: UInt64) -> Double {
        var r0 = startRate
        for (i, s) in stages.enumerated() {
            let local = (Double(elapsedNanos) - startNanos[i]) / 1e9
            if local < s.durationSeconds { return r0 + (s.target - r0) * local / s.durationSeconds }
            r0 = s.target
        }
        return r0
    }
}
