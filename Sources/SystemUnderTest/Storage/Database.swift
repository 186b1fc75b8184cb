import Foundation

/// The PostgreSQL connection pool: `size` connections, each on a worker thread of its own.
///
/// A connection found broken (server restart) is replaced on its next use, so the pool heals by itself.
public final class Database: Sendable {
    public let url: String
    let pool: BlockingWorkerPool<PostgresConnection>
    /// Query latency, for /metrics (seed 001's DB KPI: p50 5 ms, p95 15 ms, p99 30 ms).
    public let queryTimes = LatencyRecorder()
    /// Also told each statement's duration (campaignd's Prometheus histogram).
    let observer: (@Sendable (UInt64) -> Void)?

    /// Statements running longer are cancelled by the server (0: no limit).
    public let statementTimeoutMs: Int

    public init(url: String, size: Int = 8, acquireTimeout: Double = 5, statementTimeoutMs: Int = 0,
                observer: (@Sendable (UInt64) -> Void)? = nil) {
        self.url = url
        self.observer = observer
        self.statementTimeoutMs = statementTimeoutMs
        // Idle connections are checked every 30 s, so one broken by a server restart is replaced before a request needs it.
        pool = BlockingWorkerPool(name: "pg", threads: size, acquireTimeout: acquireTimeout,
                                  healthCheck: { conn in (try? conn.execute("SELECT 1")) != nil && conn.isHealthy }) {
            try? PostgresConnection(url: url, statementTimeoutMs: statementTimeoutMs)
        }
    }

    /// Opens one connection now, to fail fast with a clear message when the database is unreachable.
    public func checkConnection() async throws {
        _ = try await query("SELECT 1")
    }

    /// Opens about `count` connections up front (the pool's minimum), so the first requests do not pay for them.
    public func warm(_ count: Int) async {
        await withTaskGroup(of: Void.self) { g in
            for _ in 0..<min(count, pool.size) {
                g.addTask { _ = try? await self.withConnection { conn in try conn.execute("SELECT pg_sleep(0.01)") } }
            }
        }
    }

    /// Runs one parameterised statement.
    public func query(_ sql: String, _ params: [String?] = []) async throws -> QueryResult {
        try await withConnection { try $0.query(sql, params) }
    }

    /// Runs `body` inside BEGIN/COMMIT on one connection; any error rolls back.
    public func transaction<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        try await withConnection { conn in
            try conn.execute("BEGIN")
            do {
                let out = try body(conn)
                try conn.execute("COMMIT")
                return out
            } catch {
                try? conn.execute("ROLLBACK")
                throw error
            }
        }
    }

    /// Runs `body` with a healthy connection on a pool thread.
    public func withConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        let url = self.url, timeout = statementTimeoutMs
        let times = queryTimes
        let observer = observer
        return try await pool.run { conn in
            if conn == nil || !conn!.isHealthy { conn = try PostgresConnection(url: url, statementTimeoutMs: timeout) }
            let start = DispatchTime.now().uptimeNanoseconds
            defer {
                let d = DispatchTime.now().uptimeNanoseconds - start
                times.record(nanos: d)
                observer?(d)
            }
            do {
                return try body(conn!)
            } catch let e as DatabaseError where !conn!.isHealthy {
                conn = nil
                throw e.sqlState == nil ? DatabaseError.connectionLost(e.message) : e
            }
        }
    }

    /// Connections in use and jobs waiting for one.
    public var usage: (busy: Int, waiting: Int, size: Int) {
        let u = pool.usage
        return (u.busy, u.waiting, pool.size)
    }

    public func shutdown() { pool.shutdown() }
}
