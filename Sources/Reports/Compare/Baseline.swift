import Foundation
import Harness

/// baselines/<scenario>-<profile>.json: what a run is compared against. A few tens of KB: percentiles,
/// per-interval samples, and compressed HdrHistogram encodings instead of dense counts.
public struct Baseline: Codable, Sendable {
    public static let currentSchemaVersion = 1
    public var schemaVersion: Int
    public var scenario: String
    public var profile: String
    public var createdAt: String
    public var gitSha: String
    public var machine: Machine
    public var fingerprint: String
    public var load: String
    /// Whole-run figures per scope ("overall" and each endpoint).
    public var metrics: [String: ScopeMetrics]
    /// Per-interval samples per scope: the data the significance test uses.
    public var samples: [String: ScopeSamples]
    public var histograms: [String: String]
    /// The scenario's own figures (emails/s, rows/s, knee rps...), compared by `Thresholds.figureRelative`.
    public var figures: [String: Double]?

    /// The figures compared, for one scope.
    public struct ScopeMetrics: Codable, Sendable, Equatable {
        public var p50: Double
        public var p95: Double
        public var p99: Double
        public var throughput: Double
        /// Percent of requests that failed.
        public var errorRate: Double
    }

    /// One value per interval, per metric.
    public struct ScopeSamples: Codable, Sendable, Equatable {
        public var p50: [Double]
        public var p95: [Double]
        public var p99: [Double]
        public var throughput: [Double]
        public var errorRate: [Double]

        func values(_ metric: String) -> [Double] {
            switch metric {
            case "p50": p50
            case "p95": p95
            case "p99": p99
            case "throughput": throughput
            default: errorRate
            }
        }
    }

    /// The baseline a summary would make.
    public init(from s: Summary) {
        schemaVersion = Self.currentSchemaVersion
        scenario = s.scenario
        profile = s.profile
        createdAt = s.startedAt
        gitSha = s.gitSha
        machine = s.machine
        fingerprint = s.machine.fingerprint
        load = s.load
        histograms = s.histograms
        // A stress or capacity run's latencies depend on how far its search went (one more step past the knee
        // changes every percentile), so only its answer, the knee, is compared.
        let searched = s.stress != nil || s.capacity != nil
        let m = searched ? (metrics: [String: ScopeMetrics](), samples: [String: ScopeSamples]()) : Self.scopes(s)
        metrics = m.metrics
        samples = m.samples
        figures = Self.figures(s)
    }

    /// What each scenario answers with, as comparable numbers; the bool says whether higher is better.
    static func figures(_ s: Summary) -> [String: Double]? {
        var f: [String: Double] = [:]
        if let e = s.email { f["emails_per_s"] = e.emailsPerS; f["delivery_p99_ms"] = e.deliveryMs.p99 }
        if let i = s.bulkImport { f["rows_per_s"] = i.rowsPerS }
        if let k = s.stress?.kneeRequestsPerSecond { f["stress_knee_rps"] = k }
        if let k = s.capacity?.kneeRps { f["capacity_knee_rps"] = k }
        return f.isEmpty ? nil : f
    }

    /// Figures where a higher value is better.
    static let higherIsBetter: Set<String> = ["emails_per_s", "rows_per_s", "stress_knee_rps", "capacity_knee_rps"]

    /// Metrics and samples of a summary, per scope.
    static func scopes(_ s: Summary) -> (metrics: [String: ScopeMetrics], samples: [String: ScopeSamples]) {
        // Skip partial intervals (a run's or a trial's last second): their few requests make outlier samples.
        let counts = s.timeseries.map(\.requests).sorted()
        let median = counts.isEmpty ? 0 : counts[counts.count / 2]
        let rows = s.timeseries.filter { $0.requests * 2 >= median }
        func rate(_ errors: UInt64, _ requests: UInt64) -> Double { requests == 0 ? 0 : Double(errors) / Double(requests) * 100 }
        var metrics = ["overall": ScopeMetrics(p50: s.latencyMs.p50, p95: s.latencyMs.p95, p99: s.latencyMs.p99,
                                               throughput: s.throughputRps, errorRate: rate(s.requests.errors, s.requests.total))]
        var samples = ["overall": ScopeSamples(
            p50: rows.map(\.p50Ms), p95: rows.map(\.p95Ms), p99: rows.map(\.p99Ms), throughput: rows.map(\.rps),
            errorRate: rows.map { rate($0.errors, $0.requests) })]
        for (name, e) in s.perEndpoint {
            metrics[name] = ScopeMetrics(p50: e.latencyMs.p50, p95: e.latencyMs.p95, p99: e.latencyMs.p99,
                                         throughput: e.throughputRps, errorRate: rate(e.errors, e.requests))
            let er = rows.compactMap { $0.perEndpoint[name] }
            samples[name] = ScopeSamples(p50: er.map(\.p50Ms), p95: er.map(\.p95Ms), p99: er.map(\.p99Ms),
                                         throughput: er.map { Double($0.requests) }, errorRate: er.map { rate($0.errors, $0.requests) })
        }
        return (metrics, samples)
    }

    public func encoded() throws -> Data {
        try ReportJSON.encoder.encode(self)
    }

    /// Reads a baseline file; the error names the file and what is wrong with it.
    public static func load(_ path: String) throws -> Baseline {
        guard let data = FileManager.default.contents(atPath: path) else { throw ReportError("baseline '\(path)' cannot be read") }
        do {
            let b = try ReportJSON.decoder.decode(Baseline.self, from: data)
            guard b.schemaVersion == currentSchemaVersion else { throw ReportError("baseline '\(path)' has schema version \(b.schemaVersion), expected \(currentSchemaVersion)") }
            return b
        } catch let e as ReportError {
            throw e
        } catch {
            throw ReportError("baseline '\(path)' is not a valid baseline: \(Self.describe(error))")
        }
    }

    /// The conventional path for a scenario and profile.
    public static func path(directory: String = "baselines", scenario: String, profile: String) -> String {
        "\(directory)/\(scenario)-\(profile).json"
    }

    static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let k, let c): "missing '\((c.codingPath + [k]).map(\.stringValue).joined(separator: "."))'"
        case DecodingError.typeMismatch(_, let c), DecodingError.valueNotFound(_, let c):
            "wrong type at '\(c.codingPath.map(\.stringValue).joined(separator: "."))'"
        case DecodingError.dataCorrupted(let c): "corrupt JSON (\(c.debugDescription))"
        default: "\(error)"
        }
    }
}
