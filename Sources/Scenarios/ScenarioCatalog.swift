import Harness

/// Every built-in scenario by name.
public enum ScenarioCatalog {
    public static let all: [any Scenario] = [BasicScenario(), ApiScenario(), StressScenario(), SpikeScenario(), EnduranceScenario(), CapacityScenario(), SendScenario(), ImportScenario(), ChaosScenario(), ComprehensiveScenario()]

    /// The scenario called `name`; the error lists the known ones.
    public static func named(_ name: String) throws(UsageError) -> any Scenario {
        guard let s = all.first(where: { $0.name == name }) else {
            throw UsageError("unknown scenario '\(name)' (known: \(all.map(\.name).joined(separator: ", ")))")
        }
        return s
    }
}
