import Foundation
import Harness

/// resources.csv: each process's CPU, RSS, threads and files, appended every second.
public final class ResourcesCSV: @unchecked Sendable {
    // Only the resource monitor's thread appends.
    private let handle: FileHandle

    public init(path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: Data("process,t_s,cpu_s,cpu_percent,rss_mib,threads,fds\n".utf8)),
              let h = FileHandle(forWritingAtPath: path) else { throw ReportError("cannot write \(path)") }
        h.seekToEndOfFile()
        handle = h
    }

    public func append(_ rows: [String: ResourceRow]) {
        let text = rows.sorted { $0.key < $1.key }.map { n, r in
            String(format: "%@,%.1f,%.2f,%.1f,%.1f,%d,%d\n", n, r.t, r.cpuSeconds, r.cpuPercent, r.memoryMb, r.threads, r.fds)
        }.joined()
        handle.write(Data(text.utf8))
    }
}
