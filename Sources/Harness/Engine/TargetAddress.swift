/// Where the load goes: an http:// URL split into the parts the engine needs.
public struct TargetAddress: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int
    /// Path prefix and query of the URL ("" or "/base").
    public var path: String

    /// Parses `http://host[:port][/path]`; throws an error naming what is wrong.
    public init(url: String) throws(UsageError) {
        guard url.hasPrefix("http://") else {
            if url.hasPrefix("https://") { throw UsageError("URL '\(url)': https is not supported; the load stays on loopback over plain HTTP") }
            throw UsageError("URL '\(url)' must start with http://")
        }
        let rest = url.dropFirst(7)
        let hostPort = rest.prefix(while: { $0 != "/" && $0 != "?" })
        path = String(rest.dropFirst(hostPort.count))
        if path == "/" { path = "" }
        var h = Substring(hostPort), p = 80
        if hostPort.hasPrefix("[") {
            guard let close = hostPort.firstIndex(of: "]") else { throw UsageError("URL '\(url)': unclosed IPv6 bracket") }
            h = hostPort[hostPort.index(after: hostPort.startIndex)..<close]
            let after = hostPort[hostPort.index(after: close)...]
            if after.hasPrefix(":") {
                guard let n = Int(after.dropFirst()), (1...65535).contains(n) else { throw UsageError("URL '\(url)': bad port") }
                p = n
            }
        } else if let colon = hostPort.lastIndex(of: ":") {
            h = hostPort[..<colon]
            guard let n = Int(hostPort[hostPort.index(after: colon)...]), (1...65535).contains(n) else {
                throw UsageError("URL '\(url)': bad port '\(hostPort[hostPort.index(after: colon)...])'")
            }
            p = n
        }
        guard !h.isEmpty else { throw UsageError("URL '\(url)' has no host") }
        host = String(h)
        port = p
    }

    public init(host: String, port: Int, path: String = "") {
        self.host = host
        self.port = port
        self.path = path
    }

    /// The value of the Host header.
    public var hostHeader: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
    public var description: String { "http://\(hostHeader)\(path)" }
}

/// Bad input from the user: exit code 2, with a message that names the culprit.
public struct UsageError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ message: String) { description = message }
}
