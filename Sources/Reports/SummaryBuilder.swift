import Foundation
import Harness
import Environment

/// Turns a measured run into a Summary and judges it against its KPI set.
public enum SummaryBuilder {
    public static func build(scenario: String, profile: String, load: String, target: String, embedded: Bool,
                             result r: RunResult, kpis: [KPI], results: [any ScenarioResult] = [], resources: [String: ProcessResources]? = nil,
                             faults: FaultOutcome? = nil, services: ServiceSummary? = nil,
                             serverStages: [String: [String: Summary.Percentiles]]? = nil, serverProfile: ServerProfile? = nil,
                             profileNote: String? = nil, trials: [TrialFigures]? = nil, machineSpeed: SpeedProbe? = nil,
                             gitSha: String = GitInfo.currentSha) -> Summary {
        let secs = max(r.durationSeconds, 1e-9)
        func endpoint(_ e: EndpointStats) -> Summary.EndpointSummary {
            Summary.EndpointSummary(
                requests: e.requests, ok: e.ok, errors: e.errorCount, throughputRps: Double(e.requests) / secs,
                latencyMs: .init(e.latency), serviceTimeMs: .init(e.service),
                statusClasses: Dictionary(uniqueKeysWithValues: (1...5).compactMap { e.statusClasses[$0] > 0 ? ("\($0)xx", e.statusClasses[$0]) : nil }),
                errorsByClass: Dictionary(uniqueKeysWithValues: e.errors.map { ($0.key.rawValue, $0.value) }))
        }
        let o = r.overall
        let latency = Summary.Percentiles(o.latency)
        let errorRate = o.requests == 0 ? 1 : Double(o.errorCount) / Double(o.requests)
        let judged = evaluate(kpis, latency: latency, errorRate: errorRate, figures: Self.figures(results), run: r, services: services,
                               faults: faults)
        let iso = ISO8601DateFormatter()
        // A run that sent nothing cannot pass: there is nothing honest to judge.
        // Send and import runs measure emails and rows, not generated requests.
        let measured = o.requests > 0 || results.contains { $0.measured }
        var problems = measured ? [] : ["nothing was measured"]
        problems += faults?.problems ?? []
        problems += results.flatMap { r in r.problems.map { "\(type(of: r).key): \($0)" } }
        let summary = Summary(
            schemaVersion: Summary.currentSchemaVersion, scenario: scenario, profile: profile, load: load, target: target,
            embeddedStack: embedded, startedAt: iso.string(from: r.startedAt), durationS: r.durationSeconds,
            interrupted: r.interrupted, machine: .current, machineSpeed: machineSpeed, gitSha: gitSha,
            requests: .init(total: o.requests, ok: o.ok, errors: o.errorCount, dropped: r.droppedIterations),
            iterations: .init(started: r.iterationsStarted, completed: r.iterationsCompleted, peakInFlight: r.peakInFlight, peakConnections: r.peakConnections),
            throughputRps: Double(o.requests) / secs, latencyMs: latency, serviceTimeMs: .init(o.service),
            errorsByClass: Dictionary(uniqueKeysWithValues: o.errors.map { ($0.key.rawValue, $0.value) }),
            perEndpoint: Dictionary(uniqueKeysWithValues: r.endpoints.map { ($0.name, endpoint($0)) }),
            perStatusClass: Dictionary(uniqueKeysWithValues: (1...5).compactMap { i in
                r.byStatusClass[i].totalCount > 0 ? ("\(i)xx", Summary.Percentiles(r.byStatusClass[i])) : nil }),
            histograms: histograms(r),
            kpis: judged, results: Summary.results(from: results), resources: resources,
            faults: faults, services: services.map { var s = $0; s.rows = []; return s },
            serverStages: serverStages ?? Self.serverStages(r), serverProfile: serverProfile, profileNote: profileNote, trials: [], problems: problems,
            verdict: .make(kpis: judged, problems: problems, interrupted: r.interrupted, comparison: nil, advisory: false), timeseries: r.intervals)
        // One trial: the run is its own trial.
        var out = summary
        out.trials = trials ?? [TrialFigures(summary)]
        return out
    }
}

extension SummaryBuilder {
    /// Judges each KPI against the measured figures.
    static func evaluate(_ kpis: [KPI], latency: Summary.Percentiles, errorRate: Double,
                         figures: [String: Double] = [:], run r: RunResult? = nil, services: ServiceSummary? = nil,
                         faults: FaultOutcome? = nil) -> [Summary.KPIResult] {
        let secs = max(r?.durationSeconds ?? 0, 1e-9)
        return kpis.compactMap { k in
            let v: Double? = switch k.metric {
            case .latencyPercentile: r.map { $0.overall.latency.millis(at: k.percentile ?? 50) }
            case .latencyMean: latency.mean
            case .latencyMin: r.map { $0.overall.latency.totalCount == 0 ? 0 : Double($0.overall.latency.min) / 1000 }
            case .latencyMax: latency.max
            case .requests: r.map { Double($0.overall.requests) }
            case .throughput: r.map { Double($0.overall.requests) / secs }
            case .iterations: r.map { Double($0.iterationsCompleted) }
            case .iterationRate: r.map { Double($0.iterationsCompleted) / secs }
            case .dropped: r.map { Double($0.droppedIterations) }
            case .droppedRate: r.map { Double($0.droppedIterations) / secs }
            case .latencyP50: latency.p50
            case .latencyP95: latency.p95
            case .latencyP99: latency.p99
            case .errorRate: errorRate
            case .figure: k.figure.flatMap { figures[$0] }
            case .cacheHitRatio: services?.appCacheHitRatio
            case .dbQueryP50: services?.appDbQueryMs?["p50"]
            case .dbQueryP95: services?.appDbQueryMs?["p95"]
            case .dbQueryP99: services?.appDbQueryMs?["p99"]
            case .faultRecoveryMax: faults?.slowestRecoverySeconds
            case .cacheOutageErrorRate: faults?.errorRate(during: ["redis", "redis-net"])
            }
            // A KPI whose figure this run did not measure fails rather than passing unjudged.
            let value = v ?? .nan
            let holds = ThresholdSpec.holds(value, k.op ?? (k.atLeast ? ">=" : "<="), k.threshold)
            // campaignd's statement latency comes from a Prometheus histogram: a percentile is known only to its bucket.
            let bucket: Set<KPI.Metric> = [.dbQueryP50, .dbQueryP95, .dbQueryP99]
            return Summary.KPIResult(name: k.name, threshold: k.threshold, value: value, unit: k.unit, pass: v != nil && holds, source: k.source,
                                     atLeast: k.atLeast ? true : nil, op: k.op, note: bucket.contains(k.metric) && v != nil ? "bucket bound" : nil)
        }
    }

    /// Every figure of the run's scenario results, by name, for KPIs.
    static func figures(_ results: [any ScenarioResult]) -> [String: Double] {
        Dictionary(results.flatMap { $0.figures.map { ($0.key, $0.value.value) } }, uniquingKeysWith: { a, _ in a })
    }

    /// Per endpoint, the Server-Timing stages campaignd reported (db, cache, render), when they were captured.
    static func serverStages(_ r: RunResult) -> [String: [String: Summary.Percentiles]]? {
        let out = Dictionary(uniqueKeysWithValues: r.endpoints.compactMap { e -> (String, [String: Summary.Percentiles])? in
            e.stages.isEmpty ? nil : (e.name, Dictionary(uniqueKeysWithValues: zip(EndpointStats.stageNames, e.stages.map { Summary.Percentiles($0) })))
        })
        return out.isEmpty ? nil : out
    }

    /// The run's histograms, encoded compactly (a few hundred bytes each) for reports and baselines.
    static func histograms(_ r: RunResult) -> [String: String] {
        var h = ["latency": HistogramCodec.base64(r.overall.latency), "service_time": HistogramCodec.base64(r.overall.service)]
        for e in r.endpoints {
            h["endpoint:\(e.name)"] = HistogramCodec.base64(e.latency)
            h["service:\(e.name)"] = HistogramCodec.base64(e.service)
        }
        // Per status class too, so segments' runs merge exactly in every figure the summary shows.
        for i in 1...5 where r.byStatusClass[i].totalCount > 0 { h["status:\(i)xx"] = HistogramCodec.base64(r.byStatusClass[i]) }
        return h
    }
}

/// The commit being measured.
public enum GitInfo {
    /// The current repository's HEAD, asked once per process: a run builds its summary several times (each trial's
    /// figures, the whole run's), and each git costs 0.1-0.2 s here.
    public static let currentSha = sha()

    /// HEAD's sha in the repository holding `directory` (default: the current one), or "unknown".
    public static func sha(directory: String? = nil) -> String {
        guard let out = try? ManagedProcess.runToEnd("/usr/bin/git", (directory.map { ["-C", $0] } ?? []) + ["rev-parse", "HEAD"]),
              out.status == 0 else { return "unknown" }
        return out.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
