import Foundation
import Harness

/// `mailstorm merge`: the run folders of a workload's segments (`--segment i/n`) as one run folder.
///
/// Each segment's RunResult is rebuilt from its summary's histograms and counts, the parts are merged exactly
/// (histograms added bucket by bucket, counts summed: `RunResult.merge`), and the one summary is built from the
/// whole by `SummaryBuilder`, so KPIs, a baseline comparison and every report judge the merged run as they
/// would one process's. The per-second series are aligned on wall-clock time (the latency.hlog StartTime, to
/// the nearest second; with `--start-at` the segments start together) and each second's latency comes from its
/// segments' interval histograms added, never from their percentiles.
///
/// A segment missing, given twice, killed, or of another load is an error naming it (MergeError, exit 3):
/// the merge never makes a silently smaller run.
public enum SegmentMerge {
    public struct Part: Sendable {
        public var folder: String
        public var info: RunInfo
        public var summary: Summary
        public var log: IntervalLog
    }

    public struct Merged: Sendable {
        public var summary: Summary
        public var intervals: [IntervalSnapshot]
        public var startTime: Double
    }

    /// Reads a segment's run folder; the error names what is missing.
    public static func read(_ path: String) throws -> Part {
        let folder: RunFolder
        do { folder = try RunFolder(existing: path) } catch { throw MergeError("\(error)") }
        guard FileManager.default.fileExists(atPath: folder.file("summary.json")) else {
            throw MergeError("segment \(path) has no summary.json: it did not finish (killed or failed), so the merged run would be smaller than its load")
        }
        guard let info = try? folder.readInfo() else { throw MergeError("segment \(path) has no readable run.json") }
        let summary: Summary
        do { summary = try folder.readSummary() } catch { throw MergeError("\(error)") }
        return Part(folder: path, info: info, summary: summary, log: try IntervalLog(path: folder.file("latency.hlog")))
    }

    /// Checks that `parts` are exactly segments 0..n-1 of one load, then merges them.
    public static func merge(_ parts: [Part]) throws -> Merged {
        guard let first = parts.first else { throw MergeError("no segments given") }
        var seen: [Int: String] = [:]
        var count: Int?
        // Each part's segment, parsed once: the checks and the order below use it.
        var indexed: [(index: Int, part: Part)] = []
        for p in parts {
            guard let text = p.summary.segment, let s = try? ExecutionSegment(parsing: text) else {
                throw MergeError("\(p.folder) is not a segment run (it was not run with --segment i/n)")
            }
            indexed.append((s.index, p))
            if let c = count, c != s.count { throw MergeError("\(p.folder) is segment \(s) but \(first.folder) is of \(c) segments") }
            count = s.count
            if let other = seen[s.index] { throw MergeError("segment \(s) is given twice: \(other) and \(p.folder)") }
            seen[s.index] = p.folder
            if p.summary.interrupted { throw MergeError("segment \(s) (\(p.folder)) was interrupted: the merged run would be smaller than its load") }
            for (what, mine, theirs) in [("scenario", p.summary.scenario, first.summary.scenario), ("profile", p.summary.profile, first.summary.profile),
                                         ("load", p.summary.load, first.summary.load)] where mine != theirs {
                throw MergeError("\(p.folder) ran \(what) '\(mine)', \(first.folder) ran '\(theirs)': not segments of one load")
            }
            guard p.info.kpis != nil else { throw MergeError("\(p.folder) was recorded without its KPI definitions (an older mailstorm)") }
        }
        let missing = (0..<(count ?? 0)).filter { seen[$0] == nil }
        if !missing.isEmpty {
            throw MergeError("segment(s) \(missing.map { "\($0)/\(count!)" }.joined(separator: ", ")) missing: the merged run would be smaller than its load")
        }
        let ordered = indexed.sorted { $0.index < $1.index }.map(\.part)
        let start = ordered.map(\.log.startTime).min()!
        let results = try ordered.map { try runResult($0) }
        // Whole seconds after the earliest segment's start: each segment's rows and interval histograms land there.
        let offsets = ordered.map { Int(($0.log.startTime - start).rounded()) }
        var intervals: [IntervalSnapshot] = []
        for (p, offset) in zip(ordered, offsets) {
            for (j, row) in p.summary.timeseries.enumerated() {
                let k = offset + j
                while intervals.count <= k {
                    intervals.append(IntervalSnapshot(index: intervals.count, startNanos: UInt64(intervals.count) * 1_000_000_000, lengthNanos: 1_000_000_000,
                                                      latency: .latency(), requests: 0, ok: 0, errors: 0, dropped: 0, inFlight: 0, connections: 0,
                                                      plannedNanos: 0, endpoints: []))
                }
                intervals[k].requests += row.requests
                intervals[k].ok += row.ok
                intervals[k].errors += row.errors
                intervals[k].dropped += row.dropped
                intervals[k].inFlight += row.inFlight
                intervals[k].connections += row.connections
                if j < p.log.intervals.count { intervals[k].latency.add(p.log.intervals[j]) }
            }
        }
        var merged = RunResult.merge(results)
        merged.startedAt = Date(timeIntervalSince1970: start)
        merged.durationSeconds = zip(ordered, offsets).map { Double($1) + $0.summary.durationS }.max() ?? 0
        merged.intervals = intervals.map { s in
            IntervalRow(t: Double(s.index), requests: s.requests, ok: s.ok, errors: s.errors, dropped: s.dropped, rps: Double(s.requests),
                        p50Ms: s.latency.millis(at: 50), p90Ms: s.latency.millis(at: 90), p95Ms: s.latency.millis(at: 95),
                        p99Ms: s.latency.millis(at: 99), maxMs: s.latency.maxMillis, inFlight: s.inFlight, connections: s.connections, perEndpoint: [:])
        }
        // Every segment watched the same servers: their service figures are the server's, not a segment's share.
        var summary = SummaryBuilder.build(
            scenario: first.summary.scenario, profile: first.summary.profile, load: first.summary.load, target: first.summary.target,
            embedded: false, result: merged, kpis: first.info.kpis!, services: first.summary.services, gitSha: first.summary.gitSha)
        summary.machineSpeed = nil
        summary.segments = ordered.map { URL(fileURLWithPath: $0.folder).lastPathComponent }
        return Merged(summary: summary, intervals: intervals, startTime: start)
    }

    /// A segment's measurements back as a RunResult, from its summary's histograms and counts.
    static func runResult(_ p: Part) throws -> RunResult {
        let s = p.summary
        func histogram(_ key: String) throws -> LatencyHistogram {
            guard let text = s.histograms[key] else { throw MergeError("\(p.folder): summary.json has no '\(key)' histogram (recorded by an older mailstorm)") }
            do { return try HistogramCodec.decode(base64: text) } catch { throw MergeError("\(p.folder): histogram '\(key)' is unreadable: \(error)") }
        }
        func errors(_ d: [String: UInt64]) throws -> [ErrorClass: UInt64] {
            var out: [ErrorClass: UInt64] = [:]
            for (k, v) in d {
                guard let c = ErrorClass(rawValue: k) else { throw MergeError("\(p.folder): unknown error class '\(k)'") }
                out[c] = v
            }
            return out
        }
        func classes(_ d: [String: UInt64]) -> [UInt64] {
            (0...5).map { d["\($0)xx"] ?? 0 }
        }
        var endpoints: [EndpointStats] = []
        for name in s.perEndpoint.keys.sorted() {
            let e = s.perEndpoint[name]!
            var st = EndpointStats(name: name)
            st.latency = try histogram("endpoint:\(name)")
            st.service = try histogram("service:\(name)")
            st.statusClasses = classes(e.statusClasses)
            st.errors = try errors(e.errorsByClass)
            st.ok = e.ok
            endpoints.append(st)
        }
        var overall = EndpointStats(name: "all")
        overall.latency = try histogram("latency")
        overall.service = try histogram("service_time")
        overall.statusClasses = endpoints.reduce([UInt64](repeating: 0, count: 6)) { acc, e in zip(acc, e.statusClasses).map { $0 + $1 } }
        overall.errors = try errors(s.errorsByClass)
        overall.ok = s.requests.ok
        let byStatus = try (0...5).map { i -> LatencyHistogram in
            s.perStatusClass["\(i)xx"] == nil ? .latency() : try histogram("status:\(i)xx")
        }
        return RunResult(startedAt: Date(timeIntervalSince1970: p.log.startTime), durationSeconds: s.durationS, overall: overall, endpoints: endpoints,
                         byStatusClass: byStatus, droppedIterations: s.requests.dropped, iterationsCompleted: s.iterations.completed,
                         iterationsStarted: s.iterations.started, intervals: [], peakConnections: s.iterations.peakConnections,
                         peakInFlight: s.iterations.peakInFlight, interrupted: s.interrupted)
    }
}

/// latency.hlog: its StartTime (seconds since the epoch) and each interval's histogram, in order.
public struct IntervalLog: Sendable {
    public var startTime: Double
    public var intervals: [LatencyHistogram]

    /// `lenient`: a killed run's log, read as far as it goes (a line cut short or no header yet is skipped, a
    /// missing file is empty); otherwise any flaw is an error, since a merge must not lose a second silently.
    public init(path: String, lenient: Bool = false) throws {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            if lenient { startTime = 0; intervals = []; return }
            throw MergeError("\(path) is missing or unreadable")
        }
        var start: Double?
        var intervals: [LatencyHistogram] = []
        for line in text.split(separator: "\n") {
            if line.hasPrefix("#[StartTime: ") {
                start = Double(line.dropFirst(13).prefix { $0 != " " })
                continue
            }
            guard !line.hasPrefix("#"), !line.hasPrefix("\"") else { continue }
            guard let b64 = line.split(separator: ",").last, let h = try? HistogramCodec.decode(base64: String(b64)) else {
                if lenient { continue }
                throw MergeError("\(path): an interval line is unreadable")
            }
            intervals.append(h)
        }
        guard let start = start ?? (lenient ? 0 : nil) else { throw MergeError("\(path) has no StartTime") }
        startTime = start
        self.intervals = intervals
    }
}

/// A merge that would not be the whole run: exit 3.
public struct MergeError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ d: String) { description = d }
}
