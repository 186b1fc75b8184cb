import ArgumentParser
import Foundation
import Harness
import Environment
import Reports

/// Baseline options shared by run, report and compare.
struct JudgingOptions: ParsableArguments {
    @Option(help: "Baseline file; default baselines/<scenario>-<profile>.json when it exists.") var baseline: String?
    @Flag(help: "Do not compare with a baseline.") var noBaseline = false
    @Option(help: "The smallest change that matters, metric=value (p95=0.05; error_rate in percentage points; figures for scenario figures); repeatable.")
    var threshold: [String] = []
    @Flag(help: "Show the baseline comparison but judge by the KPIs alone (a one-off `make bench` on any machine).") var baselineAdvisory = false
    @Flag(help: "Compare with a baseline from another machine instead of answering inconclusive.") var allowOtherMachine = false
    @Option(help: "With a baseline: add trials while the comparison is inconclusive, up to this many (default 10; 1 disables).") var maxTrials: Int?
    @Option(help: "With a baseline: stop adding trials after this many minutes.") var maxMinutes = 30.0

    /// The judge for a scenario and profile, read and checked before anything starts.
    func judge(scenario: String, profile: String) throws -> Judge {
        try Judge.resolve(scenario: scenario, profile: profile, path: baseline, skip: noBaseline, thresholdSpecs: threshold,
                          advisory: baselineAdvisory, allowOtherMachine: allowOtherMachine)
    }

    /// Trials from `trials` up; more only while a judged comparison is inconclusive.
    func schedule(trials: Int, judge: Judge) throws -> TrialSchedule {
        guard maxTrials.map({ (1...50).contains($0) }) ?? true else { throw UsageError("--max-trials must be 1 to 50") }
        guard maxMinutes > 0 else { throw UsageError("--max-minutes must be positive") }
        let adaptive = judge.baseline != nil && !judge.advisory
        return TrialSchedule(minTrials: trials, maxTrials: adaptive ? (maxTrials ?? Calibration.maxTrials) : trials, maxSeconds: maxMinutes * 60)
    }
}

extension Mailstorm {
    /// Writes every report of a judged summary and prints it; the exit code is the verdict's.
    static func publish(_ summary: Summary, comparison: Comparison?, baseline: Baseline?, folder: RunFolder, quiet: Bool) throws -> Int32 {
        try folder.write(summary, comparison: comparison, baseline: baseline)
        if quiet {
            print(summary.verdict.label)
        } else {
            if let comparison { print(comparison.render(), terminator: "") }
            print(VerdictTable.render(summary), terminator: "")
            print("results: \(folder.path)")
        }
        return summary.verdict.exitCode
    }

    struct Report: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Regenerate a run's reports from its files (also for a killed run), judged again.")
        @Argument(help: "Run folder.") var path: String
        @Option(help: "all: rewrite every report and print the verdict table; markdown: print a short Markdown summary (for $GITHUB_STEP_SUMMARY or a pull-request comment) of the run as it was judged, and write nothing.")
        var format = "all"
        @OptionGroup var judging: JudgingOptions

        func run() throws {
            do {
                let folder = try RunFolder(existing: path)
                guard ["all", "markdown"].contains(format) else { throw UsageError("--format must be all or markdown, not '\(format)'") }
                if format == "markdown" {
                    // As judged when it ran (an `ab` run's B side holds its comparison with A), unless a baseline is named.
                    var s = try folder.readSummary(), c = try folder.readComparison()
                    if judging.baseline != nil || judging.noBaseline || !judging.threshold.isEmpty {
                        (s, c) = try judging.judge(scenario: s.scenario, profile: s.profile).judged(s)
                    }
                    print(MarkdownReport.stepSummary(s, comparison: c), terminator: "")
                    throw ExitCode(s.verdict.exitCode)
                }
                let (stored, note) = try folder.summaryOrRecovered()
                if let note { FileHandle.standardError.write(Data("mailstorm: \(note)\n".utf8)) }
                let judge = try judging.judge(scenario: stored.scenario, profile: stored.profile)
                let (summary, comparison) = judge.judged(stored)
                throw ExitCode(try Mailstorm.publish(summary, comparison: comparison, baseline: judge.baseline, folder: folder, quiet: false))
            } catch { throw ExitStatus.map(error) }
        }
    }

    struct Compare: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Compare a run's trials with a baseline's: exit 1 regressed, 4 improved only, 5 inconclusive, 0 unchanged.")
        @Argument(help: "Run folder.") var path: String
        @OptionGroup var judging: JudgingOptions

        func run() throws {
            do {
                let summary = try RunFolder(existing: path).readSummary()
                let judge = try judging.judge(scenario: summary.scenario, profile: summary.profile)
                guard let c = judge.comparison(summary) else {
                    throw UsageError("no baseline: pass --baseline FILE or record one with `mailstorm calibrate \(summary.scenario)`")
                }
                print(c.render(), terminator: "")
                // The comparison alone decides here: the run's KPIs were judged when it ran.
                throw ExitCode(Verdict.make(kpis: [], problems: [], interrupted: false, comparison: c, advisory: false).exitCode)
            } catch { throw ExitStatus.map(error) }
        }
    }

    struct BaselineCommand: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "baseline", abstract: "Manage baselines.", subcommands: [Save.self])

        struct Save: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Promote a run (best with several trials: `mailstorm calibrate`) to baselines/<scenario>-<profile>.json.")
            @Argument(help: "Run folder.") var path: String
            @Option(help: "Baselines folder.") var dir = "baselines"

            func run() throws {
                do {
                    let summary = try RunFolder(existing: path).readSummary()
                    guard !summary.interrupted else { throw ReportError("run '\(path)' was interrupted; it cannot be a baseline") }
                    print(try Mailstorm.saveBaseline(summary, dir: dir, from: path), terminator: "")
                } catch { throw ExitStatus.map(error) }
            }
        }
    }

    /// Writes the baseline a summary makes; returns what to print.
    static func saveBaseline(_ summary: Summary, dir: String, from source: String) throws -> String {
        let file = Baseline.path(directory: dir, scenario: summary.scenario, profile: summary.profile)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let baseline = Baseline(from: summary)
        let data = try baseline.encoded()
        try data.write(to: URL(fileURLWithPath: file))
        var out = "saved \(file) (\(data.count / 1024) KiB, \(summary.trials.count) trial(s)) from \(source)\n"
        if let c = baseline.calibration {
            out += c.render(scenario: summary.scenario, profile: summary.profile)
            if let p = baseline.machineSpeed, let sd = p.pooledSigma(with: p) {
                out += String(format: "machine drift: the speed probe moved by %.0f%% (1 sd) across the trials, so a later session's run counts no latency change under about %.0f%% against this baseline (`mailstorm ab` has no such floor)\n",
                              (exp(sd) - 1) * 100, (exp(2 * sd) - 1) * 100)
            }
        } else {
            out += "warning: one trial gives no estimate of the noise; comparisons against it need several trials of their own (`mailstorm calibrate` records 5)\n"
        }
        return out
    }

    struct HistoryCommand: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "history", abstract: "Trend of a metric across stored runs, with change points (e-divisive means).")
        @Argument(help: "Folder of run folders.") var results = "results"
        @Option(help: "Scenario.") var scenario = "basic"
        @Option(help: "Profile (default: all).") var profile: String?
        @Option(help: "p50, p95, p99, throughput or error_rate.") var metric = "p99"
        @Option(help: "HTML chart file; default <results>/history-<scenario>-<metric>.html.") var html: String?

        func run() throws {
            do {
                let h = try History.load(root: results, scenario: scenario, metric: metric, profile: profile)
                if !h.unreadable.isEmpty {
                    FileHandle.standardError.write(Data("mailstorm: not read (summary.json of another schema, or damaged): \(h.unreadable.joined(separator: ", "))\n".utf8))
                }
                guard !h.points.isEmpty else {
                    throw UsageError("no \(scenario) runs\(profile.map { " of profile \($0)" } ?? "") with a summary.json under \(results): nothing to chart")
                }
                print(h.renderTable(), terminator: "")
                let path = html ?? "\(results)/history-\(FileName.safe(scenario))-\(FileName.safe(metric)).html"
                try h.renderHTML().write(toFile: path, atomically: true, encoding: .utf8)
                print("chart: \(path)")
            } catch { throw ExitStatus.map(error) }
        }
    }
}
