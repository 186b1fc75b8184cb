/// How load is offered: an arrival schedule (open model) or a fixed population of virtual users (closed model).
public enum Workload: Sendable {
    /// Iterations start on the pacer's schedule whatever the server does; past `maxInFlight` they are dropped.
    case open(pacer: any Pacer, maxInFlight: Int)
    /// Virtual users that loop journeys back to back: `startVUs`, then moving through `stages`.
    case closed(startVUs: Int, stages: [VUStage])

    /// The run's scheduled length in nanoseconds.
    public var durationNanos: UInt64 {
        switch self {
        case .open(let pacer, _): return pacer.durationNanos
        case .closed(_, let stages): return UInt64(stages.reduce(0) { $0 + $1.durationSeconds } * 1e9)
        }
    }
}

/// A closed-model stage: the VU count moves linearly to `target` over `durationSeconds`.
public struct VUStage: Sendable, Equatable, Codable {
    public var target: Int
    public var durationSeconds: Double
    public init(target: Int, durationSeconds: Double) {
        self.target = target
        self.durationSeconds = durationSeconds
    }

    /// The VU count at `elapsedNanos`, ramping from `start` (the count before the first stage).
    public static func vus(at elapsedNanos: UInt64, start: Int, stages: [VUStage]) -> Int {
        var from = Double(start), t = Double(elapsedNanos) / 1e9
        for s in stages {
            if t < s.durationSeconds { return Int((from + (Double(s.target) - from) * t / s.durationSeconds).rounded(.down)) }
            t -= s.durationSeconds
            from = Double(s.target)
        }
        return Int(from)
    }
}

/// Pause between steps of a virtual user.
public enum ThinkTime: Sendable, Equatable {
    case none
    case constant(seconds: Double)
    case uniform(min: Double, max: Double)
    case exponential(mean: Double)

    /// A sample in nanoseconds.
    public func sampleNanos(using rng: inout some RandomNumberGenerator) -> UInt64 {
        switch self {
        case .none: return 0
        case .constant(let s): return UInt64(s * 1e9)
        case .uniform(let lo, let hi): return UInt64(Double.random(in: lo...max(lo, hi), using: &rng) * 1e9)
        case .exponential(let mean):
            let u = Double.random(in: Double.ulpOfOne..<1, using: &rng)
            return UInt64(-mean * Foundation.log(u) * 1e9)
        }
    }
}

import Foundation
