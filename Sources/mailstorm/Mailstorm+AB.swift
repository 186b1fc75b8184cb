import ArgumentParser
import Foundation
import Harness
import Reports
import Scenarios

extension Mailstorm {
    struct AB: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ab", abstract: "Compare two campaignd builds in one job, trials interleaved A B A B; B is judged against A.")

        @Option(help: "campaignd binary A (the reference).") var a: String
        @Option(help: "campaignd binary B (the candidate).") var b: String
        @Option(help: "Trials of each.") var trials = 3
        @Option(help: "Scenario.") var scenario = "basic"
        @Option(help: "Profile.") var profile = "smoke"
        @Option(name: .customLong("set"), help: "Override a scenario setting, key=value; repeatable.") var settings: [String] = []
        @Option(help: "Extra argument for campaignd B only (e.g. --inject-delay=...); repeatable.") var bArg: [String] = []
        @Option(help: "Folder for run folders.") var out = "results"
        @Option(help: "Override a regression threshold, metric=fraction; repeatable.") var threshold: [String] = []

        func run() async throws {
            do { try await execute() } catch { throw Exit.map(error) }
        }

        func execute() async throws {
            let scenario = try ScenarioCatalog.named(self.scenario)
            guard let profile = Profile(rawValue: profile) else { throw UsageError("unknown profile '\(self.profile)'") }
            guard (1...50).contains(trials) else { throw UsageError("--trials must be 1 to 50") }
            for (flag, path) in [("--a", a), ("--b", b)] where !FileManager.default.isExecutableFile(atPath: path) {
                throw UsageError("\(flag) '\(path)' is not an executable campaignd")
            }
            let thresholds = try Thresholds.interleaved.overriding(threshold)
            var options = RunOptions()
            options.profile = profile
            options.overrides = try Overrides(settings)
            let plan = try scenario.plan(profile: profile, overrides: options.overrides)
            let control = RunControl()
            let trap = SignalTrap { _ in control.interrupt() }
            var results: [String: [RunResult]] = ["a": [], "b": []]
            var target = ""
            for i in 0..<trials where !trap.fired {
                for side in ["a", "b"] where !trap.fired {
                    options.stack = StackOptions(campaignd: side == "a" ? a : b, campaigndArguments: side == "a" ? [] : bArg)
                    FileHandle.standardError.write(Data("trial \(i + 1)/\(trials): \(side.uppercased())\n".utf8))
                    let o = try await ScenarioRunner().run(scenario, options: options, control: control)
                    results[side]!.append(o.result)
                    target = o.target
                }
            }
            let root = try RunFolder(root: out, scenario: "ab-\(scenario.name)")
            var summaries: [String: Summary] = [:]
            for side in ["a", "b"] {
                summaries[side] = SummaryBuilder.build(
                    scenario: scenario.name, profile: profile.rawValue, load: plan.describe + ", \(trials) interleaved trials, build \(side.uppercased())",
                    target: target, embedded: true, result: RunResult.sequential(results[side]!), kpis: KPICatalog.set(plan.kpiSet))
            }
            let reference = Baseline(from: summaries["a"]!)
            let comparison = Comparison.compare(current: summaries["b"]!, baseline: reference, thresholds: thresholds)
            let folderA = try RunFolder(root: root.path, scenario: "a"), folderB = try RunFolder(root: root.path, scenario: "b")
            try folderA.write(summaries["a"]!)
            try folderB.write(summaries["b"]!, comparison: comparison, baseline: reference)
            print("A: \(a)\nB: \(b)\n")
            print(VerdictTable.render(summaries["b"]!), terminator: "")
            print(comparison.render(), terminator: "")
            print("regressions: \(comparison.regressions.count), improvements: \(comparison.improvements.count)")
            print("results: \(root.path)")
            if trap.fired { throw ExitCode(Exit.interrupted) }
            throw ExitCode(ExitStatus.code(kpisPassed: summaries["b"]!.passed, comparison: comparison))
        }
    }
}
