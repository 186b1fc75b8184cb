import ArgumentParser
import Foundation
import Harness
import Environment
import Reports
import Scenarios

extension Mailstorm {
    struct AB: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ab",
            abstract: "Compare two campaignd builds in one job: trials interleaved A B A B, more while undecided; B is judged against A.")

        @Option(help: "campaignd binary A (the reference).") var a: String
        @Option(help: "campaignd binary B (the candidate).") var b: String
        @Option(help: "Trials of each before the first comparison.") var trials = 3
        @Option(help: "Add pairs of trials while the comparison is inconclusive, up to this many a side.") var maxTrials = Calibration.maxTrials
        @Option(help: "Stop adding trials after this many minutes.") var maxMinutes = 30.0
        @Option(help: "Scenario.") var scenario = "basic"
        @Option(help: "Profile.") var profile = "smoke"
        @Option(name: .customLong("set"), help: "Override a scenario setting, key=value; repeatable.") var settings: [String] = []
        @Option(help: "Extra argument for campaignd B only (e.g. --inject-delay=...); repeatable.") var bArg: [String] = []
        @Option(help: "Folder for run folders.") var out = "results"
        @Option(help: "The smallest change that matters, metric=value (p95=0.05); repeatable.") var threshold: [String] = []

        func run() async throws {
            do { try await execute() } catch { throw ExitStatus.map(error) }
        }

        func execute() async throws {
            let scenario = try ScenarioCatalog.named(self.scenario)
            guard let profile = Profile(rawValue: profile) else { throw UsageError("unknown profile '\(self.profile)'") }
            guard (2...50).contains(trials) else { throw UsageError("--trials must be 2 to 50 (one trial a side gives no estimate of the noise)") }
            guard (trials...50).contains(maxTrials) else { throw UsageError("--max-trials must be from --trials (\(trials)) to 50") }
            guard maxMinutes > 0 else { throw UsageError("--max-minutes must be positive") }
            for (flag, path) in [("--a", a), ("--b", b)] where !FileManager.default.isExecutableFile(atPath: path) {
                throw UsageError("\(flag) '\(path)' is not an executable campaignd")
            }
            let thresholds = try Thresholds.default.overriding(threshold)
            var options = RunOptions()
            options.profile = profile
            options.overrides = try Overrides(settings)
            _ = try scenario.plan(profile: profile, overrides: options.overrides)
            try RunFolder.checkWritable(root: out)
            let schedule = TrialSchedule(minTrials: trials, maxTrials: maxTrials, maxSeconds: maxMinutes * 60)
            let control = RunControl()
            let trap = SignalTrap { _ in control.interrupt() }
            var outcomes: [String: [ScenarioOutcome]] = ["a": [], "b": []]
            var comparison: Comparison?
            let start = Date()
            pairs: while !trap.fired {
                let t0 = Date()
                for side in ["a", "b"] {
                    options.stack = StackOptions(campaignd: side == "a" ? a : b, campaigndArguments: side == "a" ? [] : bArg)
                    FileHandle.standardError.write(Data("trial \(outcomes[side]!.count + 1): \(side.uppercased())\n".utf8))
                    outcomes[side]!.append(try await ScenarioRunner().run(scenario, options: options, control: control))
                    if trap.fired { break pairs }
                }
                let n = outcomes["a"]!.count
                comparison = n >= 2 ? compare(outcomes, thresholds: thresholds) : nil
                let step = schedule.next(done: n, elapsed: Date().timeIntervalSince(start), perTrial: Date().timeIntervalSince(t0), comparison: comparison)
                if case .stop(let why) = step {
                    FileHandle.standardError.write(Data("trials: \(n) a side; \(why)\n".utf8))
                    break
                }
                FileHandle.standardError.write(Data("comparison so far: \(comparison?.outcome.rawValue ?? "none")\n".utf8))
            }
            let n = min(outcomes["a"]!.count, outcomes["b"]!.count)
            guard n >= 1 else { throw ExitCode(ExitStatus.interrupted) }
            // An interrupted pair is dropped so both sides keep the same number of trials.
            let sides = outcomes.mapValues { Array($0.prefix(n)) }
            comparison = compare(sides, thresholds: thresholds)
            let root = try RunFolder(root: out, scenario: "ab-\(scenario.name)")
            var summaries: [String: Summary] = [:]
            for side in ["a", "b"] {
                var s = ScenarioRunner.combine(sides[side]!).summary(machineSpeed: nil)
                s.load += ", interleaved with build \(side == "a" ? "B" : "A"), build \(side.uppercased())"
                summaries[side] = s
            }
            summaries["b"]!.judge(comparison: comparison, advisory: false)
            let reference = Baseline(from: summaries["a"]!)
            try RunFolder(root: root.path, scenario: "a").write(summaries["a"]!)
            let folderB = try RunFolder(root: root.path, scenario: "b")
            print("A: \(a)\nB: \(b)\n")
            let code = try Mailstorm.publish(summaries["b"]!, comparison: comparison, baseline: reference, folder: folderB, quiet: false)
            print("results: \(root.path)")
            throw ExitCode(trap.fired ? ExitStatus.interrupted : code)
        }

        /// B's trials against A's, on one machine in one job.
        func compare(_ outcomes: [String: [ScenarioOutcome]], thresholds: Thresholds) -> Comparison {
            let figures = outcomes.mapValues { $0.flatMap { ScenarioRunner.combine([$0]).summary(machineSpeed: nil).trials } }
            return Comparison.compare(current: figures["b"]!, reference: figures["a"]!, machine: .sameJob, baselineGitSha: "build A (\(a))",
                                      baselineCreatedAt: "this job", thresholds: thresholds)
        }
    }
}
