import Foundation
import Harness
import Environment

/// baselines/<scenario>-<profile>.json: what a run is compared against. It keeps N trials, each on a fresh
/// stack, as whole-run figures per scope, the calibration made from their spread, the machine's fingerprint
/// and speed probe, and the merged latency histogram for charts. A few KB.
public struct Baseline: Codable, Sendable {
    /// 2: trials and calibration (1 kept per-second samples, which are not replicates; it is refused).
    public static let currentSchemaVersion = 2
    public var schemaVersion: Int
    public var scenario: String
    public var profile: String
    public var createdAt: String
    public var gitSha: String
    public var machine: Machine
    public var fingerprint: String
    public var machineSpeed: SpeedProbe?
    public var load: String
    public var trials: [TrialFigures]
    public var calibration: Calibration?
    /// HdrHistogram V2 encodings of the merged trials (base64): "latency" only, for the percentile chart.
    public var histograms: [String: String]

    /// The baseline a summary makes.
    public init(from s: Summary) {
        schemaVersion = Self.currentSchemaVersion
        scenario = s.scenario
        profile = s.profile
        createdAt = s.startedAt
        gitSha = s.gitSha
        machine = s.machine
        fingerprint = s.machine.fingerprint
        machineSpeed = s.machineSpeed
        load = s.load
        trials = s.trials
        // A trial slowed by other work on the machine would widen the noise, and comparisons leave it out anyway.
        let quiet = s.trials.filter { !$0.disturbed }
        calibration = quiet.count >= 2 ? Calibration(trials: quiet) : nil
        histograms = s.histograms.filter { $0.key == "latency" }
    }

    public func encoded() throws -> Data {
        try ReportJSON.encoder.encode(self)
    }

    /// Reads a baseline file and checks that it fits the run (when `scenario` and `profile` are given); every
    /// error names the file and what is wrong.
    public static func load(_ path: String, scenario: String? = nil, profile: String? = nil) throws -> Baseline {
        guard let data = FileManager.default.contents(atPath: path) else { throw ReportError("baseline '\(path)' cannot be read") }
        struct Version: Decodable { var schemaVersion: Int? }
        guard let v = try? ReportJSON.decoder.decode(Version.self, from: data) else { throw ReportError("baseline '\(path)' is not JSON") }
        guard v.schemaVersion == currentSchemaVersion else {
            throw ReportError("baseline '\(path)' has schema version \(v.schemaVersion.map(String.init) ?? "none"), expected \(currentSchemaVersion): record it again with `mailstorm calibrate`")
        }
        let b: Baseline
        do { b = try ReportJSON.decoder.decode(Baseline.self, from: data) } catch {
            throw ReportError("baseline '\(path)' is not a valid baseline: \(describe(error))")
        }
        guard !b.trials.isEmpty else { throw ReportError("baseline '\(path)' has no trials") }
        if let scenario, b.scenario != scenario { throw ReportError("baseline '\(path)' is for scenario '\(b.scenario)', not '\(scenario)'") }
        if let profile, b.profile != profile { throw ReportError("baseline '\(path)' is for profile '\(b.profile)', not '\(profile)'") }
        return b
    }

    /// The conventional path for a scenario and profile.
    public static func path(directory: String = "baselines", scenario: String, profile: String) -> String {
        "\(directory)/\(FileName.safe(scenario))-\(FileName.safe(profile)).json"
    }

    static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let k, let c): "missing '\((c.codingPath + [k]).map(\.stringValue).joined(separator: "."))'"
        case DecodingError.typeMismatch(_, let c), DecodingError.valueNotFound(_, let c):
            "wrong type at '\(c.codingPath.map(\.stringValue).joined(separator: "."))'"
        case DecodingError.dataCorrupted(let c): "corrupt JSON (\(c.debugDescription))"
        default: "\(error)"
        }
    }
}
