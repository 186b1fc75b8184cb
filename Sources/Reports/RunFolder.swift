import Foundation

/// results/<UTC timestamp>-<scenario>/: where one run's files go.
public struct RunFolder: Sendable {
    public let path: String

    /// Creates a fresh folder under `root` (default results/).
    public init(root: String, scenario: String, date: Date = Date()) throws {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        var p = "\(root)/\(f.string(from: date))-\(scenario)"
        var n = 2
        while FileManager.default.fileExists(atPath: p) { p = "\(root)/\(f.string(from: date))-\(scenario)-\(n)"; n += 1 }
        do { try FileManager.default.createDirectory(atPath: p, withIntermediateDirectories: true) } catch {
            throw ReportError("cannot create run folder \(p): \(error.localizedDescription)")
        }
        path = p
    }

    public func file(_ name: String) -> String { path + "/" + name }

    /// Writes summary.json and report.md.
    public func write(_ s: Summary) throws {
        try s.encoded().write(to: URL(fileURLWithPath: file("summary.json")))
        try MarkdownReport.render(s).write(toFile: file("report.md"), atomically: true, encoding: .utf8)
    }
}
