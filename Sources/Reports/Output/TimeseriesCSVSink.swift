import Foundation
import Harness

/// Appends one line per second to timeseries.csv as the run goes, so a killed run keeps what it measured.
public final class TimeseriesCSVSink: IntervalSink, @unchecked Sendable {
    // Only the interval collector's serial queue calls in, so the handle needs no lock.
    private let handle: FileHandle

    public static let header = "t_s,requests,ok,errors,dropped,rps,p50_ms,p90_ms,p95_ms,p99_ms,max_ms,in_flight,connections\n"

    public init(path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: Data(Self.header.utf8)),
              let h = FileHandle(forWritingAtPath: path) else { throw ReportError("cannot write \(path)") }
        h.seekToEndOfFile()
        handle = h
    }

    public func intervalCompleted(_ s: IntervalSnapshot) {
        handle.write(Data(Self.line(s.row).utf8))
    }

    public func runFinished() { try? handle.synchronize() }

    /// A whole series at once (a merged run).
    public static func write(_ rows: [IntervalRow], to path: String) throws {
        let sink = try TimeseriesCSVSink(path: path)
        for r in rows { sink.handle.write(Data(line(r).utf8)) }
        sink.runFinished()
    }

    public static func line(_ r: IntervalRow) -> String {
        String(format: "%.3f,%llu,%llu,%llu,%llu,%.1f,%.3f,%.3f,%.3f,%.3f,%.3f,%d,%d\n",
               r.t, r.requests, r.ok, r.errors, r.dropped, r.rps, r.p50Ms, r.p90Ms, r.p95Ms, r.p99Ms, r.maxMs, r.inFlight, r.connections)
    }
}

/// A report could not be written or read.
public struct ReportError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ d: String) { description = d }
}
