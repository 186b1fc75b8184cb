import Harness

/// Whether a baseline was measured on a machine like this one: the same fingerprint, and a speed probe within
/// `SpeedProbe.tolerance`. A baseline from another machine is not compared silently: its differences would be
/// the machine's, so the comparison is inconclusive unless the user allows it.
public struct MachineCheck: Codable, Sendable, Equatable {
    public var fingerprintMatches: Bool
    /// This machine's probe over the baseline's (deflate, memcpy); nil when either side has none.
    public var deflateRatio: Double?
    public var memcpyRatio: Double?
    /// `--allow-other-machine`: compare all the same.
    public var allowed: Bool
    public var note: String?

    public var sameMachine: Bool {
        fingerprintMatches && [deflateRatio, memcpyRatio].allSatisfy { r in r.map { abs($0 - 1) <= SpeedProbe.tolerance } ?? false }
    }
    public var comparable: Bool { sameMachine || allowed }

    public init(fingerprintMatches: Bool, deflateRatio: Double?, memcpyRatio: Double?, allowed: Bool, note: String? = nil) {
        self.fingerprintMatches = fingerprintMatches
        self.deflateRatio = deflateRatio
        self.memcpyRatio = memcpyRatio
        self.allowed = allowed
        self.note = note
    }

    /// Both sides measured here, in the same job (`ab`): one machine by construction.
    public static let sameJob = MachineCheck(fingerprintMatches: true, deflateRatio: 1, memcpyRatio: 1, allowed: false)

    public init(baseline: (fingerprint: String, probe: SpeedProbe?), current: (fingerprint: String, probe: SpeedProbe?), allowed: Bool) {
        fingerprintMatches = baseline.fingerprint == current.fingerprint
        let r = baseline.probe.flatMap { b in current.probe.map { $0.ratios(to: b) } }
        deflateRatio = r?.deflate
        memcpyRatio = r?.memcpy
        self.allowed = allowed
        var why: [String] = []
        if !fingerprintMatches { why.append("fingerprint '\(baseline.fingerprint)' there, '\(current.fingerprint)' here") }
        if let r {
            for (name, x) in [("deflate", r.deflate), ("memcpy", r.memcpy)] where abs(x - 1) > SpeedProbe.tolerance {
                why.append("speed probe: \(name) \(Int(((x - 1) * 100).rounded()))% here against the baseline's machine (tolerance ±\(Int(SpeedProbe.tolerance * 100))%)")
            }
        } else {
            why.append("no speed probe on \(baseline.probe == nil ? "the baseline" : "this run") to tell the machines apart")
        }
        note = why.isEmpty ? nil : "baseline from another machine: " + why.joined(separator: "; ")
            + (allowed ? " (compared anyway: --allow-other-machine)" : "; the comparison is inconclusive (--allow-other-machine compares anyway)")
    }
}
