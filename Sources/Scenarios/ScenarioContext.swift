import Foundation
import Harness
import Environment

/// What a scenario's run can use: where the system is, the seeded users, and a way to run load plans.
public struct ScenarioContext: Sendable {
    public let profile: Profile
    public let overrides: Overrides
    public let options: RunOptions
    public let endpoints: StackEndpoints
    /// The embedded (or given) stack; nil when targeting a deployment by URL.
    public let stack: Stack?
    public let users: [String]
    public let password: String
    public let control: RunControl
    /// The faults the run carries out (the user's, or the scenario's own set).
    public let faults: [FaultSpec]
    /// Prints a progress line unless the run is quiet.
    public let progress: @Sendable (String) -> Void
    let runLoad: @Sendable (ScenarioPlan, [[String: String]]?) async throws -> RunResult

    /// Runs one load plan against the target and returns what it measured; `variables` replace the seeded users.
    public func load(_ plan: ScenarioPlan, variables: [[String: String]]? = nil) async throws -> RunResult { try await runLoad(plan, variables) }

    /// The API logged in as the first seeded user (tenant 1).
    public func api() async throws -> CampaignAPI {
        try await CampaignAPI(base: endpoints.target).login(email: users.first ?? "user1@tenant1.example", password: password)
    }
}

/// What a scenario's run produced: the request metrics, and the answer to its own question.
public struct ScenarioExecution: Sendable {
    public var result: RunResult
    /// The scenario's own results (`ScenarioResult`): each reaches every report without Reports knowing it.
    public var results: [any ScenarioResult] = []
    /// When the send began and what one fault may repeat of it, to lay its repeats on the faults.
    public var sendStartedAt: Date?
    public var repeatsPerFault = 0
    /// Scenario-specific state carried to `conclude` (endurance: the database size before).
    public var databaseBytesBefore: Int64?

    public init(result: RunResult) { self.result = result }

    /// Changes the result of type `T` in place, if the run produced one.
    public mutating func update<T: ScenarioResult>(_: T.Type, _ change: (inout T) -> Void) {
        guard let i = results.firstIndex(where: { $0 is T }), var r = results[i] as? T else { return }
        change(&r)
        results[i] = r
    }
}

extension Scenario {
    /// The default run: the plan, once.
    public func execute(_ ctx: ScenarioContext, plan: ScenarioPlan) async throws -> ScenarioExecution {
        ScenarioExecution(result: try await ctx.load(plan))
    }

    public func conclude(_ e: inout ScenarioExecution, resources: [String: ProcessResources], ctx: ScenarioContext) {}

    public func faultHorizon(plan: ScenarioPlan) -> Double? { Double(plan.workload.durationNanos) / 1e9 }

    public func defaultFaults(plan: ScenarioPlan) -> [FaultSpec] { [] }

    public var divisible: Bool { false }
}
