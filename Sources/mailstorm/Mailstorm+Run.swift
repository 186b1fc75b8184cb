import ArgumentParser
import Foundation
import Harness
import Environment
import Reports
import Scenarios

extension Mailstorm {
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run a scenario and judge it against its KPIs.")

        @Argument(help: "Scenario name (see `mailstorm scenarios`); omit with --file.") var scenario: String?
        @Option(help: "A user-defined scenario: YAML with journeys, workload and k6-style thresholds (docs/scenario-files.md).") var file: String?
        @Option(help: "smoke (CI, ≤60 s), nightly or full.") var profile = "smoke"
        @Option(name: .customLong("set"), help: "Override a scenario setting, key=value (rate=50, duration=30s); repeatable.") var settings: [String] = []
        @Option(help: "Folder for run folders (default results); json=FILE: one JSON line per interval and per event as the run goes (k6's --out json=); prometheus=URL: each interval pushed to a Prometheus remote-write receiver; repeatable.")
        var out: [String] = []

        /// The folder among `--out`: the value that names no output kind.
        var folderRoot: String { out.last { !$0.contains("=") } ?? "results" }

        /// `--out kind=value` pairs, checked: an unknown kind or an unwritable file is a usage error that names it.
        func streams() throws -> [(kind: String, value: String)] {
            try out.filter { $0.contains("=") }.map { spec in
                let kind = String(spec.prefix { $0 != "=" }), value = String(spec.drop { $0 != "=" }.dropFirst())
                guard ["json", "prometheus"].contains(kind), !value.isEmpty else {
                    throw UsageError("--out \(spec): outputs are json=FILE, prometheus=URL, or a folder for run folders")
                }
                if kind == "json" {
                    try OutputPath.checkWritable(value, flag: "--out \(spec)")
                } else {
                    _ = try PrometheusRemoteWriteSink.receiver(value)
                }
                return (kind, value)
            }
        }
        @Flag(name: .customLong("quiet"), help: "Print only the verdict.") var printOnlyVerdict = false
        @Option(help: "Also write summary.json to FILE, or to standard output with '-' (then nothing else is printed there), as k6's --summary-export.")
        var summaryExport: String?
        @Option(help: "Target a running deployment by URL instead of the embedded stack; several instances as a,b (round robin by iteration).") var target: String?
        @Option(help: "PostgreSQL of the target (enables seeding); with the embedded stack, use it instead of starting one.") var databaseURL: String?
        @Option(help: "Redis to use instead of starting one.") var redisURL: String?
        @Option(help: "campaignd binary for the embedded stack.") var campaignd: String?
        @Option(help: "Extra argument for campaignd (e.g. --inject-delay=...); repeatable.") var campaigndArg: [String] = []
        @Option(help: "How long the load runs (30s, 5m), for scenarios that have a duration; the same as --set duration=.") var duration: String?
        @Option(help: "Arrival rate in iterations per second (open model); the same as --set rate=.") var rate: String?
        @Option(help: "Virtual users (closed model, scenario files); the same as --set vus=.") var vus: String?
        @Option(help: "Load-generator threads.") var threads = 1
        @Flag(help: "Keep the embedded stack's temporary directory (logs) after the run.") var keepStack = false
        @Option(help: "Trials: whole runs, each on a fresh stack; results merge exactly, and comparisons test trials against trials.") var trials = 1
        @Option(help: "send: how campaignd delivers to the mail sink, smtp or http (a provider API).") var transport = MailTransportKind.smtp
        @Option(help: "send: recipients (the same as --set recipients=N).") var recipients: Int?
        @Option(help: "send against --target: the mail sink's HTTP address (GET /stats), e.g. from `mailstorm sink`.") var sinkURL: String?
        @Flag(help: "Where does a request's time go? Server-Timing stages per endpoint, jemalloc deltas, and a perf flame graph of campaignd.") var profileServer = false
        @Option(name: .customLong("fault"), help: "A planned fault, component:action[=value]@start[+duration], e.g. postgres:restart@20s+3s (docs/faults.md); repeatable.") var faults: [String] = []
        @Option(help: "Offer segment i of n of the load (0 ≤ i < n, as JOB_COMPLETION_INDEX counts); `mailstorm merge` joins the segments' run folders (docs/distributed.md).") var segment: String?
        @Option(help: "Start the load at this UTC time (ISO 8601, e.g. 2026-11-29T10:00:00Z, or seconds since the epoch), so segments begin together.") var startAt: String?
        @OptionGroup var sink: SinkOptions
        @OptionGroup var judging: JudgingOptions

        /// Nothing but the verdict on the console (and nothing at all with `--summary-export -`).
        var quiet: Bool { printOnlyVerdict || summaryExport == "-" }

        func run() async throws {
            do {
                try await execute()
            } catch {
                throw ExitStatus.map(error)
            }
        }

        /// ISO 8601 (UTC) or seconds since the epoch; a time already past is a usage error, not a silent "now".
        static func parseStartAt(_ text: String) throws -> Date {
            let date = Double(text).map { Date(timeIntervalSince1970: $0) } ?? ISO8601DateFormatter().date(from: text)
            guard let date else { throw UsageError("--start-at '\(text)': want an ISO 8601 time such as 2026-11-29T10:00:00Z, or seconds since the epoch") }
            guard date.timeIntervalSinceNow > -1 else { throw UsageError("--start-at \(text) is in the past") }
            guard date.timeIntervalSinceNow < 86_400 else { throw UsageError("--start-at \(text) is more than a day away") }
            return date
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
            case (nil, nil): throw UsageError("name a scenario (`mailstorm scenarios` lists them) or give --file FILE")
            default: throw UsageError("name a scenario or give --file, not both")
            }
            guard let profile = Profile(rawValue: profile) else {
                throw UsageError("unknown profile '\(self.profile)' (known: \(Profile.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            guard (1...64).contains(threads) else { throw UsageError("--threads must be 1 to 64") }
            var options = RunOptions()
            options.profile = profile
            options.overrides = try Overrides(settings + (recipients.map { ["recipients=\($0)"] } ?? []))
            try options.overrides.add(flag: "--duration", key: "duration", value: duration)
            try options.overrides.add(flag: "--rate", key: "rate", value: rate)
            try options.overrides.add(flag: "--vus", key: "vus", value: vus)
            options.target = target
            if let target {
                let urls = ScenarioRunner.targetURLs(target)
                guard !urls.isEmpty else { throw UsageError("--target is empty") }
                for u in urls { _ = try TargetAddress(url: u) }
            }
            options.threads = threads
            guard (1...50).contains(trials) else { throw UsageError("--trials must be 1 to 50") }
            options.trials = trials
            options.stack = StackOptions(campaignd: campaignd, campaigndArguments: campaigndArg, keepDirectory: keepStack,
                                         databaseURL: databaseURL, redisURL: redisURL)
            options.stack.transport = transport
            (options.stack.faults, options.stack.engagement) = try sink.plans()
            if let sinkURL {
                do { _ = try TargetAddress(url: sinkURL) } catch { throw UsageError("--sink-url: \(error)") }
            }
            options.sinkURL = sinkURL
            options.profileServer = profileServer
            do { options.faults = try faults.map { try FaultSpec(parsing: $0) } } catch { throw UsageError("\(error)") }
            if let segment {
                do { options.segment = try ExecutionSegment(parsing: segment) } catch { throw UsageError("--segment: \(error)") }
                guard scenario.divisible else {
                    throw UsageError("--segment splits one load judged by its requests (basic, or a scenario file); \(scenario.name) has figures of its own that a merge could not rebuild")
                }
                guard trials == 1 else { throw UsageError("--segment runs one trial; repeat whole merged runs instead") }
            }
            if let startAt { options.startAt = try Self.parseStartAt(startAt) }
            // Everything a user gave is checked before any server starts: settings, thresholds, faults, baselines, output.
            let members = (scenario as? ComprehensiveScenario)?.members ?? [scenario]
            if !faults.isEmpty, members.count > 1 { throw UsageError("--fault goes with one scenario, not \(scenario.name)") }
            var judges: [String: Judge] = [:]
            for m in members {
                let plan = try m.plan(profile: profile, overrides: options.overrides)
                _ = try ScenarioRunner.faultTimeline(m, plan: plan, options: options)
                var judge = try judging.judge(scenario: m.name, profile: profile.rawValue)
                // A segment is part of a load: its merge, not the segment, is compared with a baseline.
                if segment != nil { judge.baseline = nil }
                // Trials of another load (other --set values, other faults) say nothing about this one.
                let load = ScenarioRunner.describe(plan, options)
                // A baseline's load names its trial count (", 5 trials"): the load itself is what must match.
                if let b = judge.baseline, b.load.replacingOccurrences(of: #", \d+ trials$"#, with: "", options: .regularExpression) != load {
                    let why = "the baseline was recorded for \"\(b.load)\", this run is \"\(load)\""
                    if let path = judging.baseline { throw UsageError("--baseline \(path): \(why); record one for this load, or pass --no-baseline") }
                    if !quiet { print("not comparing with baselines/\(m.name)-\(profile.rawValue).json: \(why)") }
                    judge.baseline = nil
                }
                judges[m.name] = judge
            }
            try RunFolder.checkWritable(root: folderRoot)
            guard try streams().isEmpty || !(scenario is ComprehensiveScenario) else { throw UsageError("--out json= goes with one scenario") }
            if let path = summaryExport {
                guard !(scenario is ComprehensiveScenario) else { throw UsageError("--summary-export goes with one scenario; comprehensive writes one summary per member") }
                if path != "-" { try OutputPath.checkWritable(path, flag: "--summary-export \(path)") }
            }
            let control = RunControl()
            let trap = SignalTrap { _ in control.interrupt() }
            let code: Int32
            if let all = scenario as? ComprehensiveScenario {
                code = try await runAll(all, options: options, judges: judges, control: control)
            } else {
                code = try await runOne(scenario, options: options, judge: judges[scenario.name]!,
                                        folder: try RunFolder(root: folderRoot, scenario: scenario.name), control: control).verdict.exitCode
            }
            throw ExitCode(trap.fired ? ExitStatus.interrupted : code)
        }

        /// Runs trials of one scenario into `folder` (files appended as they go) until the schedule stops,
        /// judges them once, and writes every report.
        func runOne(_ scenario: any Scenario, options: RunOptions, judge: Judge, folder: RunFolder,
                    control: RunControl) async throws -> Summary {
            let profile = options.profile
            let plan = try scenario.plan(profile: profile, overrides: options.overrides)
            let schedule = try judging.schedule(trials: trials, judge: judge)
            // Given at all (0/1 too), the run is a segment: `merge` takes it.
            let segment = self.segment == nil ? nil : options.segment.description
            try folder.writeStart(RunInfo(scenario: scenario.name, profile: profile.rawValue, load: plan.describe, target: options.target ?? "embedded",
                                          kpiSet: plan.kpiSet, startedAt: ISO8601DateFormatter().string(from: Date()), gitSha: GitInfo.currentSha,
                                          segment: segment, kpis: KPICatalog.set(plan.kpiSet) + plan.thresholds.map(KPI.init)))
            var sinks: [any IntervalSink] = [try TimeseriesCSVSink(path: folder.file("timeseries.csv")),
                                             try HdrLogSink(path: folder.file("latency.hlog"))]
            if !quiet { sinks.append(ProgressPrinter()) }
            let live = try streams().filter { $0.kind == "json" }.map { try JSONLinesSink(path: $0.value) }
            let pushed = try streams().filter { $0.kind == "prometheus" }.map {
                try PrometheusRemoteWriteSink(url: $0.value, scenario: scenario.name, run: URL(fileURLWithPath: folder.path).lastPathComponent)
            }
            sinks += live as [any IntervalSink]
            sinks += pushed as [any IntervalSink]
            let resourceLog = try ResourcesCSV(path: folder.file("resources.csv"))
            let serviceLog = try ServicesCSV(path: folder.file("services.csv"))
            var options = options
            options.profileDirectory = folder.path
            options.trials = 1
            let quiet = self.quiet
            let say: @Sendable (String) -> Void = { line in if !quiet { ProgressPrinter.line(line) } }
            var outcomes: [ScenarioOutcome] = []
            var probes: [SpeedProbe] = []
            let start = Date()
            while !control.isInterrupted || outcomes.isEmpty {
                let t0 = Date()
                probes.append(SpeedProbe.measure())  // before each trial: the machine's own drift is part of the answer
                for l in live { l.event("trial_started", trial: outcomes.count + 1, ["scenario": scenario.name, "load": plan.describe]) }
                for p in pushed { p.startTrial(outcomes.count + 1) }
                outcomes.append(try await ScenarioRunner().run(scenario, options: options, sinks: sinks, control: control,
                                                               onResources: { resourceLog.append($0) }, onServices: { serviceLog.append($0) },
                                                               progress: say))
                let done = outcomes.last!
                var finished = ["requests": "\(done.result.overall.requests)", "errors": "\(done.result.overall.errorCount)"]
                if let h = done.hostLoad { finished["host_load"] = h.description; finished["disturbed"] = "\(h.disturbed)" }
                for l in live { l.event("trial_finished", trial: outcomes.count, finished) }
                if control.isInterrupted { break }
                let sofar = ScenarioRunner.combine(outcomes).summary(machineSpeed: SpeedProbe.combine(probes))
                let comparison = outcomes.count >= schedule.minTrials ? judge.comparison(sofar) : nil
                let step = schedule.next(done: outcomes.count, elapsed: Date().timeIntervalSince(start), perTrial: Date().timeIntervalSince(t0),
                                         comparison: comparison)
                guard case .stop(let why) = step else {
                    say("trial \(outcomes.count + 1)" + (comparison.map { ": comparison so far \($0.outcome.rawValue)" } ?? ""))
                    continue
                }
                if outcomes.count > 1 || comparison != nil { say("trials: \(outcomes.count); \(why)") }
                break
            }
            var whole = ScenarioRunner.combine(outcomes).summary(machineSpeed: SpeedProbe.combine(probes))
            whole.segment = segment
            let (summary, comparison) = judge.judged(whole)
            for p in pushed { if let problem = p.finish() { FileHandle.standardError.write(Data("mailstorm: \(problem)\n".utf8)) } }
            for l in live {
                l.event("verdict", trial: outcomes.count, ["verdict": summary.verdict.label, "exit_code": "\(summary.verdict.exitCode)",
                                                           "comparison": comparison?.headline ?? "none"])
            }
            if summaryExport == "-" {
                try folder.write(summary, comparison: comparison, baseline: judge.baseline)
                FileHandle.standardOutput.write(try summary.encoded())
                FileHandle.standardOutput.write(Data("\n".utf8))
            } else {
                _ = try Mailstorm.publish(summary, comparison: comparison, baseline: judge.baseline, folder: folder, quiet: quiet)
                if let path = summaryExport {
                    do { try summary.encoded().write(to: URL(fileURLWithPath: path)) } catch {
                        throw StackError("--summary-export \(path): \(error.localizedDescription)")
                    }
                }
            }
            return summary
        }

        /// Every member scenario in turn, each in its own folder under one parent, then one combined index.
        func runAll(_ all: ComprehensiveScenario, options: RunOptions, judges: [String: Judge], control: RunControl) async throws -> Int32 {
            let parent = try RunFolder(root: folderRoot, scenario: all.name)
            var entries: [CombinedReport.Entry] = []
            for member in all.members where !control.isInterrupted {
                let folder = try RunFolder(root: parent.path, scenario: member.name)
                let summary = try await runOne(member, options: options, judge: judges[member.name]!, folder: folder, control: control)
                entries.append(.init(folder: URL(fileURLWithPath: folder.path).lastPathComponent, summary: summary))
            }
            try CombinedReport.markdown(entries).write(toFile: parent.file("report.md"), atomically: true, encoding: .utf8)
            try CombinedReport.html(entries).write(toFile: parent.file("report.html"), atomically: true, encoding: .utf8)
            print(CombinedReport.markdown(entries), terminator: "")
            print("results: \(parent.path)")
            return CombinedReport.verdict(entries).exitCode
        }
    }

    struct Merge: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Join the run folders of a load's segments (--segment i/n) into one run folder, merged exactly, judged as one run.")
        @Argument(help: "The segments' run folders, one per segment.") var runs: [String]
        @Option(help: "Folder for the merged run folder.") var out = "results"
        @Flag(help: "Print only the verdict.") var quiet = false
        @OptionGroup var judging: JudgingOptions

        func run() throws {
            do {
                guard !runs.isEmpty else { throw UsageError("name the segments' run folders") }
                try RunFolder.checkWritable(root: out)
                let merged = try SegmentMerge.merge(try runs.map(SegmentMerge.read))
                let judge = try judging.judge(scenario: merged.summary.scenario, profile: merged.summary.profile)
                let (summary, comparison) = judge.judged(merged.summary)
                let folder = try RunFolder(root: out, scenario: summary.scenario)
                try HdrLogSink.write(merged.intervals, startTime: merged.startTime, to: folder.file("latency.hlog"))
                try TimeseriesCSVSink.write(summary.timeseries, to: folder.file("timeseries.csv"))
                throw ExitCode(try Mailstorm.publish(summary, comparison: comparison, baseline: judge.baseline, folder: folder, quiet: quiet))
            } catch let e as MergeError {
                throw ExitStatus.fail(e.description, ExitStatus.infrastructure)
            } catch { throw ExitStatus.map(error) }
        }
    }

    struct Scenarios: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the scenarios and what each answers.")
        func run() {
            for s in ScenarioCatalog.all { print("\(s.name.padding(toLength: 14, withPad: " ", startingAt: 0)) \(s.purpose)") }
        }
    }
}
