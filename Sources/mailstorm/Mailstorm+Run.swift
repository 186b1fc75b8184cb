import ArgumentParser
import Foundation
import Harness
import Reports
import Scenarios

extension Mailstorm {
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run a scenario and judge it against its KPIs.")

        @Argument(help: "Scenario name (see `mailstorm scenarios`); omit with --file.") var scenario: String?
        @Option(help: "A user-defined scenario: YAML with journeys, workload and k6-style thresholds (docs/scenario-files.md).") var file: String?
        @Option(help: "smoke (CI, ≤60 s), nightly or full.") var profile = "smoke"
        @Option(name: .customLong("set"), help: "Override a scenario setting, key=value (rate=50, duration=30s); repeatable.") var settings: [String] = []
        @Option(help: "Folder for run folders.") var out = "results"
        @Flag(help: "Print only the verdict.") var quiet = false
        @Option(help: "Target a running deployment by URL instead of the embedded stack.") var target: String?
        @Option(help: "PostgreSQL of the target (enables seeding); with the embedded stack, use it instead of starting one.") var databaseURL: String?
        @Option(help: "Redis to use instead of starting one.") var redisURL: String?
        @Option(help: "campaignd binary for the embedded stack.") var campaignd: String?
        @Option(help: "Extra argument for campaignd (e.g. --inject-delay=...); repeatable.") var campaigndArg: [String] = []
        @Option(help: "Load-generator threads.") var threads = 1
        @Flag(help: "Keep the embedded stack's temporary directory (logs) after the run.") var keepStack = false
        @Option(help: "Repeat the run this many times, each on a fresh stack; the results merge.") var trials = 1
        @Option(help: "send: how campaignd delivers to the mail sink, smtp or http (a provider API).") var transport = MailTransportKind.smtp
        @Option(help: "send: recipients (the same as --set recipients=N).") var recipients: Int?
        @Option(help: "send against --target: the mail sink's HTTP address (GET /stats), e.g. from `mailstorm sink`.") var sinkURL: String?
        @Flag(help: "Where does a request's time go? Server-Timing stages per endpoint, jemalloc deltas, and a perf flame graph of campaignd.") var profileServer = false
        @OptionGroup var sink: SinkOptions
        @OptionGroup var judging: JudgingOptions

        func run() async throws {
            do {
                try await execute()
            } catch {
                throw Exit.map(error)
            }
        }

        func execute() async throws {
            let scenario: any Scenario
            var target = self.target
            switch (self.scenario, file) {
            case (let name?, nil): scenario = try ScenarioCatalog.named(name)
            case (nil, let path?):
                let f = try FileScenario(path: path)
                scenario = f
                target = target ?? f.target
            default: throw UsageError("name a scenario or give --file, not both")
            }
            guard let profile = Profile(rawValue: profile) else {
                throw UsageError("unknown profile '\(self.profile)' (known: \(Profile.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            guard (1...64).contains(threads) else { throw UsageError("--threads must be 1 to 64") }
            var options = RunOptions()
            options.profile = profile
            options.overrides = try Overrides(settings + (recipients.map { ["recipients=\($0)"] } ?? []))
            options.target = target
            options.threads = threads
            guard (1...50).contains(trials) else { throw UsageError("--trials must be 1 to 50") }
            options.trials = trials
            options.stack = StackOptions(campaignd: campaignd, campaigndArguments: campaigndArg, keepDirectory: keepStack,
                                         databaseURL: databaseURL, redisURL: redisURL)
            options.stack.transport = transport
            (options.stack.faults, options.stack.engagement) = try sink.plans()
            options.sinkURL = sinkURL
            options.profileServer = profileServer
            _ = try scenario.plan(profile: profile, overrides: options.overrides)  // bad settings fail before any server starts
            let control = RunControl()
            let trap = SignalTrap { _ in control.interrupt() }
            let code: Int32
            if let all = scenario as? ComprehensiveScenario {
                code = try await runAll(all, options: options, control: control)
            } else {
                code = try await runOne(scenario, options: options, folder: try RunFolder(root: out, scenario: scenario.name), control: control).code
            }
            throw ExitCode(trap.fired ? Exit.interrupted : code)
        }

        /// Runs one scenario into `folder` (files appended as it goes), judges it, writes every report.
        func runOne(_ scenario: any Scenario, options: RunOptions, folder: RunFolder, control: RunControl) async throws -> (summary: Summary, code: Int32) {
            let profile = options.profile
            let plan = try scenario.plan(profile: profile, overrides: options.overrides)
            let baseline = try judging.baseline(scenario: scenario.name, profile: profile.rawValue)
            try folder.writeStart(RunInfo(scenario: scenario.name, profile: profile.rawValue, load: plan.describe, target: options.target ?? "embedded",
                                          kpiSet: plan.kpiSet, startedAt: ISO8601DateFormatter().string(from: Date()), gitSha: GitInfo.sha()))
            var sinks: [any IntervalSink] = [try TimeseriesCSVSink(path: folder.file("timeseries.csv")),
                                             try HdrLogSink(path: folder.file("latency.hlog"))]
            if !quiet { sinks.append(ProgressPrinter()) }
            let resourceLog = try ResourcesCSV(path: folder.file("resources.csv"))
            let serviceLog = try ServicesCSV(path: folder.file("services.csv"))
            var options = options
            options.profileDirectory = folder.path
            let quiet = self.quiet
            let outcome = try await ScenarioRunner().run(scenario, options: options, sinks: sinks, control: control,
                                                         onResources: { resourceLog.append($0) }, onServices: { serviceLog.append($0) },
                                                         progress: { line in if !quiet { ProgressPrinter.line(line) } })
            let summary = SummaryBuilder.build(
                scenario: outcome.scenario, profile: outcome.profile.rawValue, load: outcome.describe, target: outcome.target,
                embedded: outcome.embedded, result: outcome.result, kpis: KPICatalog.set(outcome.kpiSet) + outcome.thresholds.map(KPI.init), stress: outcome.stress,
                spike: outcome.spike, capacity: outcome.capacity, endurance: outcome.endurance, resources: outcome.resources,
                email: outcome.email, bulkImport: outcome.importOutcome, services: outcome.services,
                serverProfile: outcome.serverProfile, profileNote: outcome.profileNote)
            return (summary, try judging.judge(summary, baseline: baseline, folder: folder, quiet: quiet))
        }

        /// Every member scenario in turn, each in its own folder under one parent, then one combined index.
        func runAll(_ all: ComprehensiveScenario, options: RunOptions, control: RunControl) async throws -> Int32 {
            let parent = try RunFolder(root: out, scenario: all.name)
            var entries: [CombinedReport.Entry] = []
            for member in all.members where !control.isInterrupted {
                let folder = try RunFolder(root: parent.path, scenario: member.name)
                let (summary, code) = try await runOne(member, options: options, folder: folder, control: control)
                entries.append(.init(folder: URL(fileURLWithPath: folder.path).lastPathComponent, summary: summary, exitCode: code))
            }
            try CombinedReport.markdown(entries).write(toFile: parent.file("report.md"), atomically: true, encoding: .utf8)
            try CombinedReport.html(entries).write(toFile: parent.file("report.html"), atomically: true, encoding: .utf8)
            print(CombinedReport.markdown(entries), terminator: "")
            print("results: \(parent.path)")
            return entries.contains { $0.exitCode != 0 && $0.exitCode != 4 } ? Exit.kpiFailure : Exit.pass
        }
    }

    struct Scenarios: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the scenarios and what each answers.")
        func run() {
            for s in ScenarioCatalog.all { print("\(s.name.padding(toLength: 14, withPad: " ", startingAt: 0)) \(s.purpose)") }
        }
    }
}
