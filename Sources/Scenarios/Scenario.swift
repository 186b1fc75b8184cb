import Harness
import Environment

/// A named load test that answers one question, with a plan per profile.
public protocol Scenario: Sendable {
    /// The name used on the command line.
    var name: String { get }
    /// One line: the question the scenario answers.
    var purpose: String { get }
    /// The load and data for `profile`, with `overrides` applied.
    func plan(profile: Profile, overrides: Overrides) throws(UsageError) -> ScenarioPlan
    /// Runs against a ready, seeded stack and answers the scenario's question (default: the plan, once).
    func execute(_ ctx: ScenarioContext, plan: ScenarioPlan) async throws -> ScenarioExecution
    /// Finishes the answer once the run's resource samples are complete (default: nothing to do).
    func conclude(_ e: inout ScenarioExecution, resources: [String: ProcessResources], ctx: ScenarioContext)
    /// Seconds within which planned faults must begin and end (`--fault`); nil when the scenario cannot carry
    /// them (several loads, whose seconds would not line up with one timeline). Default: the one load's length.
    func faultHorizon(plan: ScenarioPlan) -> Double?
    /// The faults the scenario runs when the user gives none (the chaos scenario's standard set).
    func defaultFaults(plan: ScenarioPlan) -> [FaultSpec]
    /// Whether `--segment` may split it: one load whose figures are all requests' (merged exactly), with no
    /// figures of its own that a merge could not rebuild. Default: no.
    var divisible: Bool { get }
}

/// What a scenario reads of the mail sink.
public enum SinkUse: Sendable {
    case none
    /// What arrived: the embedded stack's sink, or `mailstorm sink` named by `--sink-url`.
    case counts
    /// Tracking links and Message-IDs that only the embedded stack's sink, in process, keeps.
    case embedded

    /// Why a run against `target` (nil: the embedded stack) with `sinkURL` cannot give the scenario its sink.
    public func problem(scenario: String, target: String?, sinkURL: String?) -> String? {
        guard target != nil else { return nil }
        switch self {
        case .none: return nil
        case .counts: return sinkURL == nil ? "the \(scenario) scenario counts what reaches the mail sink: run it on the embedded stack, or point campaignd at `mailstorm sink` and pass --sink-url" : nil
        case .embedded: return "the \(scenario) scenario sends a small campaign first and reads its tracking links from the embedded stack's sink: run it without --target"
        }
    }
}

/// How long and how hard: smoke for CI (≤60 s), nightly (minutes), full.
public enum Profile: String, Sendable, CaseIterable, Codable {
    case smoke, nightly, full
}

/// What a scenario wants run: the load (target filled in later), the data to seed, and the KPI set to judge by.
public struct ScenarioPlan: Sendable {
    public var workload: Workload
    public var journeys: [Journey]
    public var think: ThinkTime
    public var requestTimeoutSeconds: Double
    public var seed: SeedRequest
    /// The KPI set in Reports' catalog that judges this scenario.
    public var kpiSet: String
    /// Human-readable load description for reports ("25 it/s for 20 s").
    public var describe: String
    /// k6-style thresholds that judge the run besides the KPI set (user-defined scenarios).
    public var thresholds: [ThresholdSpec] = []
    /// `campaignd serve` arguments the scenario needs of the embedded stack, unless the user gave the same flag
    /// (the chaos scenario's send rate).
    public var campaigndArguments: [String] = []
    /// Iterations in sessions that log in once (the api scenario, a file's `session:`).
    public var session: SessionSpec?
    /// What the scenario reads of the mail sink; checked against `--target` before anything starts.
    public var sink: SinkUse = .none

    /// The engine's plan against `target` with the seeded users.
    /// `rows`, when given, replace the seeded users as the variable pool.
    public func loadPlan(target: TargetAddress, users: [String], password: String, threads: Int = 1, rows: [[String: String]]? = nil) -> LoadPlan {
        LoadPlan(target: target, workload: workload, journeys: journeys,
                 variables: VariablePool(rows: rows ?? users.map { ["email": $0, "password": password] }),
                 think: think, requestTimeoutSeconds: requestTimeoutSeconds, threads: threads, session: session)
    }
}

/// Data a scenario needs in the database before it starts.
public struct SeedRequest: Sendable, Equatable {
    public var tenants: Int
    public var usersPerTenant: Int
    public var contacts: Int
    /// Every contact subscribed (a send then reaches exactly `contacts` recipients).
    public var allActive: Bool
    /// Real tenants have campaigns already; a fresh database with none plans the list badly (Seeder.historySQL).
    public var campaignsPerTenant: Int
    public init(tenants: Int = 2, usersPerTenant: Int = 50, contacts: Int = 1000, allActive: Bool = false, campaignsPerTenant: Int = 20) {
        self.tenants = tenants
        self.usersPerTenant = usersPerTenant
        self.contacts = contacts
        self.allActive = allActive
        self.campaignsPerTenant = campaignsPerTenant
    }

    /// `campaignd seed` arguments for this request: the one place that spells them, for the runner and `mailstorm seed`.
    public func campaigndArguments(databaseURL: String) -> [String] {
        ["seed", "--database-url", databaseURL, "--tenants", String(tenants), "--users-per-tenant", String(usersPerTenant),
         "--contacts", String(contacts), "--campaigns-per-tenant", String(campaignsPerTenant)] + (allActive ? ["--all-active"] : [])
    }
}
