import Foundation
import Testing
@testable import Environment

/// A real PostgreSQL cluster in a folder of the test's own; its start, stop and psql calls run on threads of their
/// own (`Stack.blocking`), off the 2 threads every unit test shares.
struct PostgresServerTests {
    static func sql(_ server: PostgresServer, _ query: String) async throws -> String {
        try await Stack.blocking {
            try ManagedProcess.runToEnd("/usr/bin/psql", [server.databaseURL, "-Atc", query]).output
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    /// The seed's settings run, and a reload finds the configuration files in agreement with them. With the
    /// settings as `-c` flags, initdb's shared_buffers and max_connections lines made every pg_reload_conf log
    /// "configuration file contains errors" and pg_file_settings list both as "setting could not be applied".
    @Test func theSeedSettingsRunAndAReloadFindsNoError() async throws {
        let dir = NSTemporaryDirectory() + "ms-postgres-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let memory: UInt64 = 1 << 30
        let settings = Dictionary(uniqueKeysWithValues: ServerSettings.postgres(memoryBytes: memory))
        let server = try await Stack.blocking { try PostgresServer(directory: dir, memoryBytes: memory) }
        defer { server.process.stop() }
        #expect(try await Self.sql(server, "SHOW shared_buffers") == settings["shared_buffers"])
        #expect(try await Self.sql(server, "SHOW max_connections") == settings["max_connections"])
        #expect(try await Self.sql(server, "SHOW shared_preload_libraries") == "pg_stat_statements")
        _ = try await Self.sql(server, "ALTER SYSTEM SET track_functions = 'all'")
        _ = try await Self.sql(server, "SELECT pg_reload_conf()")
        var reloaded = false
        for _ in 0..<50 where !reloaded {
            reloaded = try await Self.sql(server, "SHOW track_functions") == "all"
            if !reloaded { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(reloaded, "the reload reached no new connection in 5 s")
        let errors = try await Self.sql(server, "SELECT name, setting, error FROM pg_file_settings WHERE error IS NOT NULL")
        #expect(errors == "", "\(errors)")
        #expect(try await Self.sql(server, "SELECT count(*) FROM pg_settings WHERE pending_restart") == "0")
        #expect(!server.process.logTail(lines: 200).contains("contains errors"), "\(server.process.logTail())")
        // Started again on the same cluster (after a stop or a kill), the include is not added twice.
        try await Stack.blocking { server.process.stop() }
        let again = try await Stack.blocking { try PostgresServer(directory: dir, memoryBytes: memory, port: server.port) }
        defer { again.process.stop() }
        let conf = try String(contentsOfFile: dir + "/pgdata/postgresql.conf", encoding: .utf8)
        #expect(conf.components(separatedBy: "include 'mailstorm.conf'").count == 2)
        #expect(try await Self.sql(again, "SHOW shared_buffers") == settings["shared_buffers"])
    }
}
