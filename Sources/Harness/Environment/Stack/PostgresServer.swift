import Foundation
import Harness

/// An ephemeral PostgreSQL cluster: a fresh one in the stack's directory (ClusterTemplate), a free port, seed-000 settings.
public final class PostgresServer: Sendable {
    public let port: Int
    public let process: ManagedProcess
    public let databaseURL: String

    /// The newest installed PostgreSQL's binaries (Debian keeps them off PATH), or MAILSTORM_PG_BIN.
    public static func binDirectory() throws -> String {
        if let env = ProcessInfo.processInfo.environment["MAILSTORM_PG_BIN"] { return env }
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).compactMap(Int.init).sorted()
        guard let v = versions.last else { throw StackError("PostgreSQL is not installed (no \(root)/*/bin); run `make setup`") }
        return "\(root)/\(v)/bin"
    }

    /// A new cluster in `directory` on a free port; or, with `port` and a cluster already there, the same one
    /// brought back where clients expect it (after a planned stop or a kill; crash recovery replays its WAL).
    public init(directory: String, memoryBytes: UInt64, port wanted: Int? = nil) throws {
        let bin = try Self.binDirectory()
        let data = directory + "/pgdata"
        let socketDir = directory + "/pgsock"
        let exists = FileManager.default.fileExists(atPath: data + "/PG_VERSION")
        if !exists {
            try FileManager.default.createDirectory(atPath: socketDir, withIntermediateDirectories: true)
            if geteuid() == 0 { _ = try ManagedProcess.runToEnd("/bin/chown", ["-R", "postgres:postgres", directory]) }
            try ClusterTemplate.create(data, bin: bin)
        }
        try Self.writeSettings(ServerSettings.postgres(memoryBytes: memoryBytes), data: data)
        port = try wanted ?? FreePort.pick()
        let args = ["-D", data, "-p", "\(port)", "-k", socketDir, "-c", "listen_addresses=127.0.0.1"]
        // SIGINT is PostgreSQL's fast shutdown; SIGTERM would wait for every client to leave.
        process = try ManagedProcess(name: "postgres", executable: bin + "/postgres", arguments: args,
                                     logPath: directory + "/postgres.log", asUser: "postgres", stopSignal: SIGINT)
        databaseURL = "postgresql://postgres@127.0.0.1:\(port)/mailstorm"
        let deadline = Date().addingTimeInterval(30)
        while true {
            let ready = try ManagedProcess.runToEnd(bin + "/pg_isready", ["-q", "-h", "127.0.0.1", "-p", "\(port)", "-U", "postgres"])
            if ready.status == 0 { break }
            guard process.isRunning, Date() < deadline else {
                process.stop()
                throw StackError("PostgreSQL did not become ready on port \(port):\n\(process.logTail())")
            }
            usleep(100_000)
        }
        guard !exists else { return }
        let created = try ManagedProcess.runToEnd(bin + "/createdb", ["-h", "127.0.0.1", "-p", "\(port)", "-U", "postgres", "mailstorm"])
        guard created.status == 0 else { process.stop(); throw StackError("createdb failed: \(created.output)") }
    }

    /// The settings live in a file that postgresql.conf includes last, not in `-c` flags: on a reload PostgreSQL
    /// checks every restart-only line of its files against the running value, and initdb's own shared_buffers and
    /// max_connections lines differed from the flags ("configuration file contains errors" on each pg_reload_conf).
    static func writeSettings(_ settings: [(String, String)], data: String) throws {
        let name = "mailstorm.conf"
        let lines = settings.map { "\($0.0) = '\($0.1.replacingOccurrences(of: "'", with: "''"))'" }
        try (lines.joined(separator: "\n") + "\n").write(toFile: data + "/" + name, atomically: false, encoding: .utf8)
        let conf = data + "/postgresql.conf"
        let include = "include '\(name)'"
        let text = try String(contentsOfFile: conf, encoding: .utf8)
        if !text.split(separator: "\n").contains(where: { $0 == include }) {
            try (text + (text.hasSuffix("\n") ? "" : "\n") + include + "\n").write(toFile: conf, atomically: false, encoding: .utf8)
        }
        if geteuid() == 0, let pw = getpwnam("postgres") { chown(data + "/" + name, pw.pointee.pw_uid, pw.pointee.pw_gid) }
    }
}
