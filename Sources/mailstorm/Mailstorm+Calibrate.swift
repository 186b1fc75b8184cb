import ArgumentParser
import Foundation
import Harness
import Environment
import Reports
import Scenarios

extension Mailstorm {
    struct Calibrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Measure this machine's A/A noise over K trials on fresh stacks, save the baseline with it, and print what it can resolve.")

        @Argument(help: "Scenario name.") var scenario: String
        @Option(help: "smoke, nightly or full.") var profile = "smoke"
        @Option(help: "Trials (each a whole run on a fresh stack).") var trials = 5
        @Option(name: .customLong("set"), help: "Override a scenario setting, key=value; repeatable.") var settings: [String] = []
        @Option(help: "Baselines folder.") var dir = "baselines"
        @Option(help: "Folder for the run folder.") var out = "results"
        @Option(help: "campaignd binary for the embedded stack.") var campaignd: String?

        func run() async throws {
            do { try await execute() } catch { throw ExitStatus.map(error) }
        }

        func execute() async throws {
            let scenario = try ScenarioCatalog.named(self.scenario)
            guard let profile = Profile(rawValue: profile) else { throw UsageError("unknown profile '\(self.profile)'") }
            guard (2...50).contains(trials) else { throw UsageError("--trials must be 2 to 50: noise needs at least two trials") }
            var options = RunOptions()
            options.profile = profile
            options.overrides = try Overrides(settings)
            options.stack = StackOptions(campaignd: campaignd)
            _ = try scenario.plan(profile: profile, overrides: options.overrides)
            try RunFolder.checkWritable(root: out)
            try RunFolder.checkWritable(root: dir)
            let control = RunControl()
            let trap = SignalTrap { _ in control.interrupt() }
            var outcomes: [ScenarioOutcome] = []
            var probes: [SpeedProbe] = []
            // A trial slowed by other work on the machine is kept but not counted: another runs in its place.
            var quiet = 0
            while quiet < trials, outcomes.count < 2 * trials, !trap.fired {
                FileHandle.standardError.write(Data("trial \(quiet + 1)/\(trials)\n".utf8))
                options.trials = 1
                probes.append(SpeedProbe.measure())
                let o = try await ScenarioRunner().run(scenario, options: options, control: control)
                if let h = o.hostLoad, h.disturbed {
                    FileHandle.standardError.write(Data("set aside: \(h.description) (\(HostLoad.limitsText)); another trial\n".utf8))
                } else {
                    quiet += 1
                }
                outcomes.append(o)
            }
            guard !trap.fired, let probe = SpeedProbe.combine(probes) else { throw ExitCode(ExitStatus.interrupted) }
            guard quiet == trials else {
                throw StackError("the machine was busy: only \(quiet) of \(outcomes.count) trials ran without other work beside them; calibrate on a quiet machine")
            }
            let (summary, _) = Judge().judged(ScenarioRunner.combine(outcomes).summary(machineSpeed: probe))
            let folder = try RunFolder(root: out, scenario: scenario.name)
            try folder.write(summary)
            print(VerdictTable.render(summary), terminator: "")
            print(String(format: "speed probe (median of %d, one before each trial): deflate %.1f MB/s (%.1f to %.1f), memcpy %.2f GB/s", probe.deflateSamples.count,
                         probe.deflateMbPerS, probe.deflateSamples.min() ?? 0, probe.deflateSamples.max() ?? 0, probe.memcpyGbPerS))
            print(try Mailstorm.saveBaseline(summary, dir: dir, from: folder.path), terminator: "")
            throw ExitCode(summary.verdict.exitCode)
        }
    }
}
