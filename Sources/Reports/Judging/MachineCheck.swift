import Foundation
import Harness
import Environment

/// Whether a baseline was measured on a machine like this one: the same fingerprint, and a deflate speed within
/// the probes' own noise (`SpeedProbe.tolerance(against:)`). A baseline from another machine is not compared
/// silently: its differences would be the machine's, so the comparison is inconclusive unless the user allows it.
/// Between those lies a machine of the same fingerprint whose speed moved beyond the noise (`speedMoved`): the
/// move is measured, so a change far beyond it is still the code's, but nothing smaller can be ruled out.
public struct MachineCheck: Codable, Sendable, Equatable {
    public var fingerprintMatches: Bool
    /// This machine's probe over the baseline's (deflate, memcpy); nil when either side has none.
    public var deflateRatio: Double?
    public var memcpyRatio: Double?
    /// The deflate ratio's allowed distance from 1, in log units.
    public var tolerance: Double?
    /// What the machine's own speed drift may move a speed-bound figure by between the baseline's session and
    /// this one (log units): no change smaller can be told from the machine. 0 within one job (`ab`), where the
    /// drift falls on both sides alike.
    public var driftAllowance: Double
    /// `--allow-other-machine`: compare all the same.
    public var allowed: Bool
    public var note: String?

    /// memcpy bandwidth moved by ±20% between probes a minute apart on one machine here, so only deflate decides.
    public var sameMachine: Bool {
        guard fingerprintMatches, let r = deflateRatio, let t = tolerance else { return false }
        return abs(log(r)) <= t
    }
    public var comparable: Bool { sameMachine || allowed }
    /// The same fingerprint and a probe on both sides, but the deflate figure moved beyond the probes' noise: a
    /// regression larger than the move (`driftAllowance`) is decided, and nothing else is.
    public var speedMoved: Bool { fingerprintMatches && !sameMachine && deflateRatio != nil && tolerance != nil }

    public init(fingerprintMatches: Bool, deflateRatio: Double?, memcpyRatio: Double?, tolerance: Double?, driftAllowance: Double = 0,
                allowed: Bool, note: String? = nil) {
        self.fingerprintMatches = fingerprintMatches
        self.deflateRatio = deflateRatio
        self.memcpyRatio = memcpyRatio
        self.tolerance = tolerance
        self.driftAllowance = driftAllowance
        self.allowed = allowed
        self.note = note
    }

    /// Both sides measured here, in the same job (`ab`): one machine by construction.
    public static let sameJob = MachineCheck(fingerprintMatches: true, deflateRatio: 1, memcpyRatio: 1, tolerance: SpeedProbe.minimumTolerance, allowed: false)

    public init(baseline: (fingerprint: String, probe: SpeedProbe?), current: (fingerprint: String, probe: SpeedProbe?), allowed: Bool) {
        fingerprintMatches = baseline.fingerprint == current.fingerprint
        let r = baseline.probe.flatMap { b in current.probe.map { $0.ratios(to: b) } }
        deflateRatio = r?.deflate
        memcpyRatio = r?.memcpy
        tolerance = baseline.probe.flatMap { b in current.probe?.tolerance(against: b) }
        driftAllowance = baseline.probe.flatMap { b in current.probe?.driftAllowance(against: b) } ?? 0
        self.allowed = allowed
        var why: [String] = []
        if !fingerprintMatches { why.append("fingerprint '\(baseline.fingerprint)' there, '\(current.fingerprint)' here") }
        if let r {
            if let t = tolerance, abs(log(r.deflate)) > t {
                // The band is symmetric in log units: -29% … +41% for a tolerance of 0.35.
                why.append("speed probe: deflate \(Int(((r.deflate - 1) * 100).rounded()))% here against the baseline's machine, beyond the probes' own noise (\(Int(((exp(-t) - 1) * 100).rounded()))% … +\(Int(((exp(t) - 1) * 100).rounded()))%); memcpy \(Int(((r.memcpy - 1) * 100).rounded()))%")
            }
        } else {
            why.append("no speed probe on \(baseline.probe == nil ? "the baseline" : "this run") to tell the machines apart")
        }
        if why.isEmpty {
            note = nil
        } else if speedMoved {
            note = "the machine's speed moved between the sessions: " + why.joined(separator: "; ")
                + String(format: "; only a change beyond ±%.0f%% is the code's", (exp(driftAllowance) - 1) * 100)
                + (allowed ? " (every figure compared: --allow-other-machine)"
                    : ", so a regression that large is decided and nothing smaller is (--allow-other-machine decides every figure against that margin)")
        } else {
            note = "baseline from another machine: " + why.joined(separator: "; ")
                + (allowed ? " (compared anyway: --allow-other-machine)" : "; the comparison is inconclusive (--allow-other-machine compares anyway)")
        }
    }
}
