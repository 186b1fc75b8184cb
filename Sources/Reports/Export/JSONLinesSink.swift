import Foundation
import Harness

/// `run --out json=FILE`, as k6's: one JSON object per line, written as the run goes, so another program can
/// follow a run live (`tail -f`). Each interval is `{"type":"interval", ...}` with the IntervalRow's fields;
/// each event is `{"type":"event","event":"trial_started"|"trial_finished"|"verdict", ...}`.
public final class JSONLinesSink: IntervalSink, @unchecked Sendable {
    // Intervals come from the collector's queue, events from the run's task: one lock orders the lines.
    private let lock = NSLock()
    private let handle: FileHandle
    private var trial = 1
    private let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.keyEncodingStrategy = .convertToSnakeCase
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return e
    }()

    struct Interval: Encodable {
        var type = "interval"
        var trial: Int
        var time: String
        var row: IntervalRow
        func encode(to encoder: Encoder) throws {
            try row.encode(to: encoder)
            var c = encoder.container(keyedBy: Keys.self)
            try c.encode(type, forKey: .type)
            try c.encode(trial, forKey: .trial)
            try c.encode(time, forKey: .time)
        }
        enum Keys: String, CodingKey { case type, trial, time }
    }

    struct Event: Encodable {
        var type = "event"
        var event: String
        var trial: Int
        var time: String
        var fields: [String: String]
        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: AnyKey.self)
            try c.encode(type, forKey: AnyKey("type"))
            try c.encode(event, forKey: AnyKey("event"))
            try c.encode(trial, forKey: AnyKey("trial"))
            try c.encode(time, forKey: AnyKey("time"))
            for (k, v) in fields { try c.encode(v, forKey: AnyKey(k)) }
        }
    }

    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ s: String) { stringValue = s }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// Creates (or truncates) `path`; the error names it.
    public init(path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil), let h = FileHandle(forWritingAtPath: path) else {
            throw ReportError("--out json=\(path): cannot write the file")
        }
        handle = h
    }

    private let clock = ISO8601DateFormatter()
    private func now() -> String { clock.string(from: Date()) }

    public func intervalCompleted(_ s: IntervalSnapshot) {
        lock.lock(); defer { lock.unlock() }
        write(Interval(trial: trial, time: now(), row: s.row))
    }

    public func runFinished() {}

    /// An event line; `trial_started` also numbers the intervals that follow.
    public func event(_ name: String, trial: Int, _ fields: [String: String] = [:]) {
        lock.lock(); defer { lock.unlock() }
        self.trial = trial
        write(Event(event: name, trial: trial, time: now(), fields: fields))
    }

    private func write(_ value: some Encodable) {
        guard var data = try? encoder.encode(value) else { return }
        data.append(0x0A)
        handle.write(data)
    }
}
