import Foundation
import Harness
import Environment

/// A CSV file appended as a run goes, so a killed run keeps every row written so far.
public class AppendingCSV: @unchecked Sendable {
    // Only one monitor thread appends to each file.
    let handle: FileHandle

    init(path: String, header: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: Data((header + "\n").utf8)),
              let h = FileHandle(forWritingAtPath: path) else { throw ReportError("cannot write \(path)") }
        h.seekToEndOfFile()
        handle = h
    }
}

/// resources.csv: each process's CPU, memory (PSS: shared pages split among the processes that map them, so
/// PostgreSQL's shared buffers are not counted once per backend), threads and files, appended every second.
public final class ResourcesCSV: AppendingCSV, @unchecked Sendable {
    public init(path: String) throws { try super.init(path: path, header: "process,t_s,cpu_s,cpu_percent,pss_mib,threads,fds") }

    public func append(_ rows: [String: ResourceRow]) {
        let text = rows.sorted { $0.key < $1.key }.map { n, r in
            String(format: "%@,%.1f,%.2f,%.1f,%.1f,%d,%d\n", n, r.t, r.cpuSeconds, r.cpuPercent, r.memoryMb, r.threads, r.fds)
        }.joined()
        handle.write(Data(text.utf8))
    }
}

/// services.csv: PostgreSQL, Redis and campaignd figures, appended every second.
public final class ServicesCSV: AppendingCSV, @unchecked Sendable {
    public init(path: String) throws { try super.init(path: path, header: ServiceRow.csvHeader) }

    public func append(_ row: ServiceRow) { handle.write(Data((row.csv + "\n").utf8)) }
}
