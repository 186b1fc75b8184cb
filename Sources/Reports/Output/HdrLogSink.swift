import Foundation
import Harness

/// Appends each interval's latency histogram to an HdrHistogram V2 interval log (latency.hlog) as the run goes.
/// The Java, C and Python HdrHistogram libraries read it; a run that is killed leaves every completed line.
public final class HdrLogSink: IntervalSink, @unchecked Sendable {
    // Only the interval collector's serial queue calls in.
    private let handle: FileHandle
    private var wroteHeader = false

    public init(path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil), let h = FileHandle(forWritingAtPath: path) else {
            throw ReportError("cannot write \(path)")
        }
        handle = h
    }

    public func intervalCompleted(_ s: IntervalSnapshot) {
        if !wroteHeader {
            // The run's wall-clock start, from the first interval's end.
            let start = Date().timeIntervalSince1970 - Double(s.startNanos + s.lengthNanos) / 1e9
            handle.write(Data(Self.header(startTime: start).utf8))
            wroteHeader = true
        }
        handle.write(Data(Self.line(s).utf8))
    }

    public func runFinished() { try? handle.synchronize() }

    /// A whole log at once (a merged run), from its wall-clock start.
    public static func write(_ intervals: [IntervalSnapshot], startTime: Double, to path: String) throws {
        let sink = try HdrLogSink(path: path)
        sink.handle.write(Data(header(startTime: startTime).utf8))
        for s in intervals { sink.handle.write(Data(line(s).utf8)) }
        sink.runFinished()
    }

    static func header(startTime: Double) -> String {
        let date = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: startTime))
        return "#[Histogram log format version 1.3]\n" +
            String(format: "#[StartTime: %.3f (seconds since epoch), %@]\n", startTime, date) +
            "#[Latency in microseconds, measured from each request's intended send time]\n" +
            "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"\n"
    }

    /// One interval: start and length in seconds, max in milliseconds (the log's customary unit ratio of 1000).
    static func line(_ s: IntervalSnapshot) -> String {
        String(format: "%.3f,%.3f,%.3f,", Double(s.startNanos) / 1e9, Double(s.lengthNanos) / 1e9, s.latency.maxMillis)
            + HistogramCodec.base64(s.latency) + "\n"
    }
}
