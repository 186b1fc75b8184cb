import Harness
import Environment
import Reports
import Scenarios

extension ScenarioOutcome {
    /// The run's summary, its trials each summarised on their own for comparisons.
    func summary(machineSpeed: SpeedProbe?) -> Summary {
        let trials = (self.trials.isEmpty ? [self] : self.trials).map {
            var t = TrialFigures($0.build(trials: nil, machineSpeed: machineSpeed))
            t.hostLoad = $0.hostLoad
            return t
        }
        return build(trials: trials, machineSpeed: machineSpeed)
    }

    private func build(trials: [TrialFigures]?, machineSpeed: SpeedProbe?) -> Summary {
        SummaryBuilder.build(
            scenario: scenario, profile: profile.rawValue, load: describe, target: target, embedded: embedded, result: execution.result,
            kpis: KPICatalog.set(kpiSet) + thresholds.map(KPI.init), results: execution.results,
            resources: resources, faults: faults, services: services,
            serverProfile: serverProfile, profileNote: profileNote, trials: trials, machineSpeed: machineSpeed)
    }
}
