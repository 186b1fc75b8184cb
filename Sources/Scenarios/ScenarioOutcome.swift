import Harness
import Environment

/// What a scenario run produced, ready for Reports: what the scenario measured (`execution`: the request
/// metrics and its own results, read through as `outcome.result`, `outcome.results`...) and what the run around
/// it saw (faults, services, resources, the machine's load).
@dynamicMemberLookup
public struct ScenarioOutcome: Sendable {
    public var scenario: String
    public var profile: Profile
    public var describe: String
    public var kpiSet: String
    public var target: String
    public var embedded: Bool
    public var execution: ScenarioExecution
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

    public subscript<T>(dynamicMember path: WritableKeyPath<ScenarioExecution, T>) -> T {
        get { execution[keyPath: path] }
        set { execution[keyPath: path] = newValue }
    }
}
