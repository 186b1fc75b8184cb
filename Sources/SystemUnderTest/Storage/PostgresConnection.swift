import CLibPQ
import Foundation

/// One libpq connection, used by exactly one worker thread. Statements are prepared once per connection, and at
/// most `statementCacheSize` stay prepared (`StatementCache`).
public final class PostgresConnection {
    let conn: OpaquePointer
    private var prepared: StatementCache
    public static let defaultStatementCacheSize = 256

    /// Connects to `url` (a libpq connection string or postgresql:// URL); blocking.
    ///
    /// `statementTimeoutMs` (0: none) makes the server cancel a statement that runs longer, so a stuck one
    /// frees its connection; connecting gives up after `connectTimeout` seconds, so a host that drops packets
    /// fails the request instead of holding a pool thread.
    public init(url: String, statementTimeoutMs: Int = 0, connectTimeout: Int = 3, statementCacheSize: Int = PostgresConnection.defaultStatementCacheSize) throws {
        prepared = StatementCache(capacity: statementCacheSize)
        var keys: [String?] = ["dbname", "connect_timeout"], values: [String?] = [url, String(connectTimeout)]
        if statementTimeoutMs > 0 { keys.append("options"); values.append("-c statement_timeout=\(statementTimeoutMs)") }
        let made = withCStrings(keys + [nil]) { k in
            withCStrings(values + [nil]) { v in PQconnectdbParams(k, v, 1) }  // 1: dbname may be a URL or a conninfo string
        }
        guard let c = made else { throw DatabaseError(message: "out of memory", sqlState: nil) }
        guard PQstatus(c) == CONNECTION_OK else {
            let msg = String(cString: PQerrorMessage(c)).trimmingCharacters(in: .whitespacesAndNewlines)
            PQfinish(c)
            throw DatabaseError(message: "cannot connect: \(msg)", sqlState: "08001")
        }
        // libpq prints NOTICEs (e.g. "already exists, skipping") to stderr by default; they are not errors.
        PQsetNoticeProcessor(c, { _, _ in }, nil)
        conn = c
    }

    deinit { PQfinish(conn) }

    /// Throws when libpq cannot parse `url` (a URL or conninfo string), without connecting to anything.
    public static func checkURL(_ url: String) throws(ConfigError) {
        var err: UnsafeMutablePointer<CChar>? = nil
        guard let options = PQconninfoParse(url, &err) else {
            let why = err.map { String(cString: $0).trimmingCharacters(in: .whitespacesAndNewlines) } ?? "out of memory"
            if let err { PQfreemem(err) }
            throw ConfigError("--database-url '\(url)': \(why)")
        }
        PQconninfoFree(options)
    }

    /// False once the server went away; the pool then replaces the connection before using it.
    ///
    /// A server that stopped or restarted closed the socket, often after a last FATAL message: an idle
    /// connection's socket is then readable, and reading it to the end (PQconsumeInput fails at EOF) tells.
    /// Polls only, no round trip, so the first request after a restart gets a fresh connection, not an error.
    public var isHealthy: Bool {
        guard PQstatus(conn) == CONNECTION_OK else { return false }
        var p = pollfd(fd: PQsocket(conn), events: Int16(POLLIN), revents: 0)
        for _ in 0..<8 where poll(&p, 1, 0) > 0 {
            if PQconsumeInput(conn) == 0 { return false }
        }
        return PQstatus(conn) == CONNECTION_OK
    }

    /// Runs a parameterised statement (text parameters, `$1`...), preparing it on first use.
    public func query(_ sql: String, _ params: [String?] = []) throws -> QueryResult {
        let name: String
        if let n = prepared.lookup(sql) {
            name = n
        } else {
            let (fresh, evicted) = prepared.insert(sql)
            if let evicted { try execute("DEALLOCATE \(evicted)") }
            name = fresh
            let res = PQprepare(conn, name, sql, Int32(params.count), nil)
            defer { PQclear(res) }
            do { try Self.check(res, conn) } catch { prepared.remove(sql); throw error }
        }
        // libpq reads C strings: a NUL would cut the value short, silently. PostgreSQL text cannot hold one anyway.
        if params.contains(where: { $0?.utf8.contains(0) == true }) {
            throw DatabaseError(message: "a value contains a NUL byte, which text cannot hold", sqlState: DatabaseError.nulByte)
        }
        let res = withCStrings(params) { ptrs in
            PQexecPrepared(conn, name, Int32(params.count), ptrs, nil, nil, 0)
        }
        defer { PQclear(res) }
        try Self.check(res, conn)
        return QueryResult(res!)
    }

    /// Runs one or more statements with no parameters (migrations, DDL).
    public func execute(_ sql: String) throws {
        let res = PQexec(conn, sql)
        defer { PQclear(res) }
        try Self.check(res, conn)
    }

    /// Streams rows into `COPY ... FROM STDIN` (text format); `chunks` yields already-escaped lines ending in "\n".
    public func copy(_ sql: String, chunks: some Sequence<String>) throws -> Int {
        try copy(sql) { put in
            for chunk in chunks {
                var chunk = chunk
                try chunk.withUTF8 { try put($0) }
            }
        }
    }

    /// `copy(_:chunks:)` for text already encoded as bytes.
    public func copy(_ sql: String, bytes: [UInt8]) throws -> Int {
        try copy(sql) { put in try bytes.withUnsafeBufferPointer { try put($0) } }
    }

    private func copy(_ sql: String, writing: ((UnsafeBufferPointer<UInt8>) throws -> Void) throws -> Void) throws -> Int {
        let res = PQexec(conn, sql)
        guard PQresultStatus(res) == PGRES_COPY_IN else { defer { PQclear(res) }; try Self.check(res, conn); return 0 }
        PQclear(res)
        try writing { bytes in
            guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
            let rc = base.withMemoryRebound(to: CChar.self, capacity: bytes.count) { PQputCopyData(conn, $0, Int32(bytes.count)) }
            guard rc == 1 else { throw DatabaseError(message: String(cString: PQerrorMessage(conn)), sqlState: nil) }
        }
        guard PQputCopyEnd(conn, nil) == 1 else { throw DatabaseError(message: String(cString: PQerrorMessage(conn)), sqlState: nil) }
        var count = 0
        while let r = PQgetResult(conn) {
            defer { PQclear(r) }
            try Self.check(r, conn)
            count = Int(String(cString: PQcmdTuples(r))) ?? count
        }
        return count
    }

    static func check(_ res: OpaquePointer?, _ conn: OpaquePointer) throws {
        guard let res else { throw DatabaseError(message: String(cString: PQerrorMessage(conn)), sqlState: nil) }
        switch PQresultStatus(res) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_COPY_IN: return
        default:
            let state = PQresultErrorField(res, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
            let msg = String(cString: PQresultErrorMessage(res)).trimmingCharacters(in: .whitespacesAndNewlines)
            throw DatabaseError(message: msg, sqlState: state)
        }
    }
}

/// Rows of a result, as text (libpq's text format), copied out so they outlive the C result.
public struct QueryResult: Sendable {
    public let columns: [String]
    public let rows: [[String?]]
    public let affectedRows: Int

    init(_ res: OpaquePointer) {
        let nf = Int(PQnfields(res)), nt = Int(PQntuples(res))
        columns = (0..<nf).map { String(cString: PQfname(res, Int32($0))) }
        var rows: [[String?]] = []
        rows.reserveCapacity(nt)
        for r in 0..<nt {
            rows.append((0..<nf).map { f in
                PQgetisnull(res, Int32(r), Int32(f)) == 1 ? nil : String(cString: PQgetvalue(res, Int32(r), Int32(f)))
            })
        }
        self.rows = rows
        affectedRows = Int(String(cString: PQcmdTuples(res))) ?? 0
    }
}

/// A failed statement, with PostgreSQL's SQLSTATE when there is one.
public struct DatabaseError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var sqlState: String?
    public var description: String { sqlState.map { "\(message) [\($0)]" } ?? message }
    /// 23505: the row would duplicate a unique key.
    public var isUniqueViolation: Bool { sqlState == "23505" }
    /// The database, not the statement, is at fault, and trying again later may work: no connection (class 08),
    /// a server shutting down or starting (57P01-57P03), too many connections (53300), a statement timeout (57014).
    public var isUnavailable: Bool {
        guard let s = sqlState else { return false }
        return s.hasPrefix("08") || ["57P01", "57P02", "57P03", "53300", "57014"].contains(s)
    }
    /// The statement or its data is at fault (data exception, constraint, syntax or undefined object): the same
    /// input fails again, so retrying it is useless.
    public var isPersistent: Bool { sqlState.map { ["22", "23", "42"].contains(String($0.prefix(2))) } ?? false }
    /// PostgreSQL's own SQLSTATE for a NUL in text (character_not_in_repertoire), raised before libpq would cut it.
    public static let nulByte = "22021"
    /// A connection that broke under a statement (libpq reports no SQLSTATE then).
    static func connectionLost(_ message: String) -> DatabaseError { DatabaseError(message: message, sqlState: "08006") }
}

/// Calls `body` with a C array of C strings (NULL for nil) that lives for the call.
func withCStrings<R>(_ strings: [String?], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
    let owned: [UnsafeMutablePointer<CChar>?] = strings.map { $0.map { strdup($0) } }
    defer { owned.forEach { free($0) } }
    return body(owned.map { $0.map { UnsafePointer($0) } })
}
