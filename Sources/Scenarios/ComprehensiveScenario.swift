import Harness

/// Seed 003's "Comprehensive Test": every other scenario in turn, one combined verdict.
public struct ComprehensiveScenario: Scenario {
    public let name = "comprehensive"
    public let purpose = "Do basic, stress, spike, endurance, capacity, send and import each pass, run one after another?"

    public init() {}

    /// The scenarios it runs, in the catalog's order: every one but chaos (faults belong to one scenario's run) and itself.
    public var members: [any Scenario] { ScenarioCatalog.all.filter { !($0 is ChaosScenario || $0 is ComprehensiveScenario) } }

    /// No faults: a timeline belongs to one scenario's run.
    public func faultHorizon(plan: ScenarioPlan) -> Double? { nil }

    public func plan(profile: Profile, overrides: Overrides) throws(UsageError) -> ScenarioPlan {
        // Overrides are per scenario; with several scenarios a key would be ambiguous.
        try overrides.check(known: [], scenario: name)
        var p = try BasicScenario().plan(profile: profile, overrides: overrides)
        p.describe = members.map(\.name).joined(separator: ", ") + ", one after another"
        return p
    }
}
