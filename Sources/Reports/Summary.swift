import Foundation
import Harness
import Environment

/// summary.json: the versioned record of one run. docs/summary-schema.md documents every field.
public struct Summary: Codable, Sendable {
    /// 2: `verdict` is one object (outcome, reasons, exit code), `trials` and `machine_speed` are new.
    /// 3: a scenario's own result is under `results.<key>` (spike's was `spike`).
    public static let currentSchemaVersion = 3

    public var schemaVersion: Int
    public var scenario: String
    public var profile: String
    public var load: String
    public var target: String
    public var embeddedStack: Bool
    public var startedAt: String
    public var durationS: Double
    public var interrupted: Bool
    public var machine: Machine
    /// The speed probe taken before the run: tells machines apart that share a fingerprint.
    public var machineSpeed: SpeedProbe?
    public var gitSha: String
    public var requests: Requests
    public var iterations: Iterations
    public var throughputRps: Double
    /// From each request's intended send time (coordinated omission corrected, as wrk2 reports).
    public var latencyMs: Percentiles
    /// From the actual send (wrk2's -U): what the server took once the request reached it.
    public var serviceTimeMs: Percentiles
    public var errorsByClass: [String: UInt64]
    public var perEndpoint: [String: EndpointSummary]
    /// Latency by response status class ("2xx"...), from intended send time.
    public var perStatusClass: [String: Percentiles]
    /// HdrHistogram V2 compressed encodings (base64): "latency", "service_time", and "endpoint:<name>".
    public var histograms: [String: String]
    public var kpis: [KPIResult]
    /// The scenario's own results (`ScenarioResult`), by key: each rendered, with its figures and fields.
    public var results: [String: ScenarioSection]?
    /// Endurance scenario only: trends with 95% confidence intervals, files and database growth.
    /// Per process ("postgres" with its backends, "redis", "campaignd", "mailstorm"): CPU, RSS, threads, files.
    public var resources: [String: ProcessResources]?
    /// Planned faults (`--fault`, the chaos scenario): each window's errors, p99 and recovery.
    public var faults: FaultOutcome?
    /// PostgreSQL, Redis and campaignd over the run (the per-second rows are in services.csv).
    public var services: ServiceSummary?
    /// Per endpoint, campaignd's Server-Timing stages (db, cache, render) in ms: where a request's time goes.
    public var serverStages: [String: [String: Percentiles]]?
    /// --profile-server: campaignd's CPU profile (perf), or why there is none.
    public var serverProfile: ServerProfile?
    public var profileNote: String?
    /// Each trial's whole-run figures: what comparisons test (one entry for a one-trial run).
    public var trials: [TrialFigures]
    /// The run's own failed checks besides the KPIs (nothing measured, lost email, no knee...).
    public var problems: [String]
    /// The one verdict: every report and the exit code show it.
    public var verdict: Verdict
    public var timeseries: [IntervalRow]
    /// `--segment i/n`: this run offered segment i of n of its load; `mailstorm merge` joins the segments.
    public var segment: String? = nil
    /// A merged run: its segments' run folders, in segment order.
    public var segments: [String]? = nil

    public struct Requests: Codable, Sendable, Equatable {
        public var total: UInt64
        public var ok: UInt64
        public var errors: UInt64
        /// Iterations not started because the in-flight cap was reached.
        public var dropped: UInt64
    }

    public struct Iterations: Codable, Sendable, Equatable {
        public var started: UInt64
        public var completed: UInt64
        public var peakInFlight: Int
        public var peakConnections: Int
    }

    public struct Percentiles: Codable, Sendable, Equatable {
        public var p50, p90, p95, p99, p999, max, mean: Double

        public init(_ h: LatencyHistogram) {
            let p = h.millis(at: [50, 90, 95, 99, 99.9])
            (p50, p90, p95, p99, p999) = (p[0], p[1], p[2], p[3], p[4])
            max = h.maxMillis; mean = h.meanMillis
        }
    }

    public struct EndpointSummary: Codable, Sendable {
        public var requests: UInt64
        public var ok: UInt64
        public var errors: UInt64
        public var throughputRps: Double
        public var latencyMs: Percentiles
        public var serviceTimeMs: Percentiles
        public var statusClasses: [String: UInt64]
        public var errorsByClass: [String: UInt64]
    }

    public struct KPIResult: Codable, Sendable, Equatable {
        public var name: String
        public var threshold: Double
        public var value: Double
        public var unit: String
        public var pass: Bool
        public var source: String
        /// True when the value must reach the threshold from below (absent in older summaries: at most).
        public var atLeast: Bool?
        /// The comparison when it is strict (k6 thresholds): "<" or ">".
        public var op: String?
        /// How to read the value when it is not exact ("bucket bound": the upper bound of a histogram bucket).
        public var note: String?

        /// The value with its unit, and its note.
        public var measured: String { VerdictTable.format(value, unit) + (note.map { " (\($0))" } ?? "") }

        /// "≤", "≥", "<" or ">", for reports.
        public var comparator: String {
            switch op {
            case "<": "<"
            case ">": ">"
            default: atLeast == true ? "≥" : "≤"
            }
        }
    }

    /// Makes the verdict, once, from the KPIs, the run's checks and the comparison.
    public mutating func judge(comparison: Comparison?, advisory: Bool) {
        verdict = .make(kpis: kpis, problems: problems, interrupted: interrupted, comparison: comparison, advisory: advisory)
    }

    /// JSON with snake_case keys and sorted, stable output.
    public func encoded() throws -> Data {
        try ReportJSON.encoder.encode(self)
    }

    public static func decode(_ data: Data) throws -> Summary {
        try ReportJSON.decoder.decode(Summary.self, from: data)
    }
}
