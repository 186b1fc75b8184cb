import Harness
import Environment

/// What a scenario run produced, ready for Reports.
public struct ScenarioOutcome: Sendable {
    public var scenario: String
    public var profile: Profile
    public var describe: String
    public var kpiSet: String
    public var target: String
    public var embedded: Bool
    public var result: RunResult
    /// The stress search's steps, knee and breaking point (stress scenario only).
    public var stress: StressOutcome?
    /// The scenario's own results (spike's surge and recovery...).
    public var results: [any ScenarioResult] = []
    /// Drift of p99, throughput, memory, files and database size (endurance scenario only).
    /// The concurrency sweep and its USL fit (capacity scenario only).
    public var capacity: CapacityOutcome?
    /// The send's throughput, delivery time and consistency (send scenario only).
    public var email: EmailOutcome?
    /// The bulk import's rate (import scenario only).
    /// What each planned fault did, when the run carried faults.
    public var faults: FaultOutcome?
    /// k6-style thresholds from a scenario file, judged with the KPIs.
    public var thresholds: [ThresholdSpec] = []
    /// PostgreSQL, Redis and campaignd figures over the run (the last trial's).
    public var services: ServiceSummary?
    /// --profile-server's perf profile of campaignd, and why there is none when there is none.
    public var serverProfile: ServerProfile?
    public var profileNote: String?
    /// CPU, memory, threads and files of each process, sampled every second (the last trial's).
    public var resources: [String: ProcessResources] = [:]
    /// CPU the machine spent outside the run while it ran; nil unless the run owns every server (the embedded stack).
    public var hostLoad: HostLoad?
    /// Each trial's own outcome, in order (one entry for a one-trial run): comparisons test trials.
    public var trials: [ScenarioOutcome] = []
}
