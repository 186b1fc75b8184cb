import ArgumentParser
import Foundation
import Harness
import Reports

/// Baseline options shared by run, compare and ab.
struct JudgingOptions: ParsableArguments {
    @Option(help: "Baseline file; default baselines/<scenario>-<profile>.json when it exists.") var baseline: String?
    @Flag(help: "Do not compare with a baseline.") var noBaseline = false
    @Option(help: "Override a regression threshold, metric=fraction (p99=0.15); repeatable.") var threshold: [String] = []
    @Flag(help: "Show the baseline comparison but let only the KPIs decide the exit code (for a one-off `make bench` on any machine).") var baselineAdvisory = false

    /// The baseline to compare with, if any; a named file that cannot be read is an error.
    func baseline(scenario: String, profile: String) throws -> Baseline? {
        if noBaseline { return nil }
        do {
            if let path = baseline { return try Baseline.load(path) }
            let path = Baseline.path(scenario: scenario, profile: profile)
            return FileManager.default.fileExists(atPath: path) ? try Baseline.load(path) : nil
        } catch let e as ReportError {
            throw UsageError(e.description)
        }
    }

    func thresholds() throws -> Thresholds {
        do { return try Thresholds.default.overriding(threshold) } catch let e as ReportError { throw UsageError(e.description) }
    }

    /// Compares, writes every report into `folder`, prints the verdict, and returns the exit code.
    func judge(_ summary: Summary, baseline: Baseline?, folder: RunFolder, quiet: Bool) throws -> Int32 {
        let comparison = try baseline.map { Comparison.compare(current: summary, baseline: $0, thresholds: try thresholds()) }
        try folder.write(summary, comparison: comparison, baseline: baseline)
        let code = ExitStatus.code(kpisPassed: summary.passed, comparison: baselineAdvisory ? nil : comparison)
        if quiet {
            print(code == ExitStatus.failure ? "FAIL" : "PASS")
        } else {
            print(VerdictTable.render(summary), terminator: "")
            if let comparison {
                print(comparison.render(), terminator: "")
                print("regressions: \(comparison.regressions.count), improvements: \(comparison.improvements.count)")
                if !comparison.regressions.isEmpty {
                    print(baselineAdvisory ? "baseline comparison (advisory): regressions found" : "verdict with baseline: FAIL (regression)")
                }
            }
            print("results: \(folder.path)")
        }
        return code
    }
}

extension Mailstorm {
    struct Report: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Regenerate a run's reports from its files (also for a killed run).")
        @Argument(help: "Run folder.") var path: String
        @OptionGroup var judging: JudgingOptions

        func run() throws {
            do {
                let folder = try RunFolder(existing: path)
                let summary = FileManager.default.fileExists(atPath: folder.file("summary.json")) ? try folder.readSummary() : try SummaryRecovery.recover(folder)
                let baseline = try judging.baseline(scenario: summary.scenario, profile: summary.profile)
                throw ExitCode(try judging.judge(summary, baseline: baseline, folder: folder, quiet: false))
            } catch { throw Exit.map(error) }
        }
    }

    struct Compare: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Compare a run with a baseline: exit 1 on a regression, 4 on improvements only.")
        @Argument(help: "Run folder.") var path: String
        @OptionGroup var judging: JudgingOptions

        func run() throws {
            do {
                let summary = try RunFolder(existing: path).readSummary()
                guard let baseline = try judging.baseline(scenario: summary.scenario, profile: summary.profile) else {
                    throw UsageError("no baseline: pass --baseline FILE or save one with `mailstorm baseline save \(path)`")
                }
                let c = Comparison.compare(current: summary, baseline: baseline, thresholds: try judging.thresholds())
                print(c.render(), terminator: "")
                print("regressions: \(c.regressions.count), improvements: \(c.improvements.count)")
                throw ExitCode(ExitStatus.code(kpisPassed: true, comparison: c))
            } catch { throw Exit.map(error) }
        }
    }

    struct BaselineCommand: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "baseline", abstract: "Manage baselines.", subcommands: [Save.self])

        struct Save: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Promote a run to baselines/<scenario>-<profile>.json.")
            @Argument(help: "Run folder.") var path: String
            @Option(help: "Baselines folder.") var dir = "baselines"

            func run() throws {
                do {
                    let summary = try RunFolder(existing: path).readSummary()
                    guard !summary.interrupted else { throw ReportError("run '\(path)' was interrupted; it cannot be a baseline") }
                    let file = Baseline.path(directory: dir, scenario: summary.scenario, profile: summary.profile)
                    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                    let data = try Baseline(from: summary).encoded()
                    try data.write(to: URL(fileURLWithPath: file))
                    print("saved \(file) (\(data.count / 1024) KiB) from \(path)")
                } catch { throw Exit.map(error) }
            }
        }
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
                print(h.renderTable(), terminator: "")
                let path = html ?? "\(results)/history-\(scenario)-\(metric).html"
                try h.renderHTML().write(toFile: path, atomically: true, encoding: .utf8)
                print("chart: \(path)")
            } catch { throw Exit.map(error) }
        }
    }
}
