import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Harness

/// One long-lived psql session: a query per sample costs a round trip, not a process start.
final class PSQLSession {
    private let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private var pending = Data()
    static let marker = "__mailstorm_end__"

    init?(url: String) {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/psql") else { return nil }
        process.executableURL = URL(fileURLWithPath: "/usr/bin/psql")
        process.arguments = [url, "-At", "-F", "\u{1F}", "-q", "-v", "ON_ERROR_STOP=0"]
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
    }

    /// False once psql has exited (its server went away).
    var isAlive: Bool { process.isRunning }

    /// Rows of `sql` (fields split on the unit separator); empty on error.
    func query(_ sql: String) -> [[String]] {
        guard process.isRunning else { return [] }
        input.fileHandleForWriting.write(Data((sql + ";\n\\echo \(Self.marker)\n").utf8))
        var lines: [String] = []
        while true {
            if let nl = pending.firstIndex(of: 10) {
                let line = String(decoding: pending[pending.startIndex..<nl], as: UTF8.self)
                pending = Data(pending[(nl + 1)...])
                if line == Self.marker { break }
                lines.append(line)
                continue
            }
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { return [] }
            pending.append(chunk)
        }
        return lines.map { $0.components(separatedBy: "\u{1F}") }
    }

    func close() {
        try? input.fileHandleForWriting.close()
        process.waitUntilExitOrKill()
    }
}

extension Process {
    /// Waits up to two seconds, then kills: a monitor must never hold up the end of a run.
    func waitUntilExitOrKill() {
        let deadline = Date().addingTimeInterval(2)
        while isRunning && Date() < deadline { usleep(20_000) }
        if isRunning { kill(processIdentifier, SIGKILL) }
    }
}

/// A blocking TCP exchange on loopback: send bytes, read until the peer is done. For Redis INFO and GET /metrics.
enum TCPExchange {
    /// Sends `request` to host:port and reads the reply until `complete` says it is whole or the peer closes.
    static func run(host: String, port: Int, request: [UInt8], timeout: Double = 2, complete: ([UInt8]) -> Bool = { _ in false }) -> [UInt8]? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host == "localhost" ? "127.0.0.1" : host, &addr.sin_addr) == 1 else { return nil }
        let ok = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard ok == 0 else { return nil }
        guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, 0) }) == request.count else { return nil }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            out += buf[0..<n]
            if complete(out) { break }
        }
        return out
    }

    /// One HTTP/1.1 request with `Connection: close`; the response's status code, or nil when there was none.
    static func http(_ method: String, _ url: String, body: String? = nil, headers: [String] = []) -> Int? {
        guard let u = URL(string: url), let (h, p) = hostPort(url) else { return nil }
        var path = u.path.isEmpty ? "/" : u.path
        if let q = u.query { path += "?" + q }
        var req = "\(method) \(path) HTTP/1.1\r\nHost: \(h):\(p)\r\nConnection: close\r\n"
        for header in headers { req += header + "\r\n" }
        if let body { req += "Content-Length: \(body.utf8.count)\r\n" }
        req += "\r\n" + (body ?? "")
        guard let reply = run(host: h, port: p, request: Array(req.utf8), timeout: 5), reply.count >= 12 else { return nil }
        return Int(String(decoding: reply[9..<12], as: UTF8.self))
    }

    /// host and port of a URL like redis://h:p or http://h:p/...
    static func hostPort(_ url: String) -> (String, Int)? {
        guard let u = URL(string: url), let h = u.host, let p = u.port else { return nil }
        return (h, p)
    }
}

/// Redis INFO over RESP.
enum RedisInfo {
    static func fetch(url: String) -> [String: String]? {
        guard let (h, p) = TCPExchange.hostPort(url) else { return nil }
        let cmd = Array("*1\r\n$4\r\nINFO\r\n".utf8)
        guard let reply = TCPExchange.run(host: h, port: p, request: cmd, complete: { r in
            // "$<len>\r\n<payload>\r\n": whole once the payload has arrived.
            guard let nl = r.firstIndex(of: 10), let len = Int(String(decoding: r[1..<(nl - 1)], as: UTF8.self)) else { return false }
            return r.count >= nl + 1 + len + 2
        }) else { return nil }
        var out: [String: String] = [:]
        for line in String(decoding: reply, as: UTF8.self).split(separator: "\r\n") {
            guard let c = line.firstIndex(of: ":") else { continue }
            out[String(line[..<c])] = String(line[line.index(after: c)...])
        }
        return out.isEmpty ? nil : out
    }
}

/// campaignd's Prometheus text, as sample name (with labels) to value.
enum PrometheusText {
    static func fetch(url: String) -> [String: Double]? {
        guard let (h, p) = TCPExchange.hostPort(url) else { return nil }
        let req = Array("GET /metrics HTTP/1.1\r\nHost: \(h)\r\nConnection: close\r\n\r\n".utf8)
        guard let reply = TCPExchange.run(host: h, port: p, request: req) else { return nil }
        let text = String(decoding: reply, as: UTF8.self)
        guard let body = text.range(of: "\r\n\r\n") else { return nil }
        return parse(String(text[body.upperBound...]))
    }

    static func parse(_ text: String) -> [String: Double] {
        var out: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let sp = line.lastIndex(of: " "), let v = Double(line[line.index(after: sp)...]) else { continue }
            out[String(line[..<sp])] = v
        }
        return out
    }

    /// The sum of every sample whose name (before labels) is `name` and whose labels contain `having`.
    /// Each scrape asks for some 20 sums over campaignd's few thousand samples; splitting every key into a new
    /// String was 8% of mailstorm's CPU in an api run at 2,000 req/s, so the name is compared in place.
    static func sum(_ m: [String: Double], _ name: String, having: String = "") -> Double {
        var total = 0.0
        for (key, value) in m where isSample(key, of: name) && (having.isEmpty || key.contains(having)) { total += value }
        return total
    }

    /// Whether `key` is a sample of `name`: the name alone, or followed by its labels in braces.
    static func isSample(_ key: String, of name: String) -> Bool {
        let k = key.utf8, n = name.utf8
        guard k.count >= n.count, k.starts(with: n) else { return false }
        return k.count == n.count || k[k.index(k.startIndex, offsetBy: n.count)] == UInt8(ascii: "{")
    }
}
