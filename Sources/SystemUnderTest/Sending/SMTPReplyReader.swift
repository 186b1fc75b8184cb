/// One SMTP reply: its code and the text of its lines (RFC 5321 4.2).
struct SMTPReply: Equatable, Sendable {
    var code: Int
    var lines: [String]

    var isPositive: Bool { (200...399).contains(code) }
    /// 5xx: the command, or the message, is refused for good.
    var isPermanent: Bool { code >= 500 }
    var summary: String { "smtp \(code)" }
}

/// Cuts replies out of the bytes a server sends, however the reads split them. Pure, so its framing is tested
/// without sockets; the socket owner feeds it and takes replies until it has none.
struct SMTPReplyReader {
    private var buffer: [UInt8] = []
    private var start = 0
    private var lines: [String] = []

    /// A reply line longer than this without its LF is a broken server, not a slow one (RFC 5321 allows 512).
    static let maxLine = 4096

    struct Malformed: Error, CustomStringConvertible {
        var line: String
        var description: String { "malformed SMTP reply line '\(line.prefix(80))'" }
    }

    mutating func feed(_ bytes: UnsafeRawBufferPointer) {
        // Consumed bytes go once all are consumed, or once they pile up behind a reply still arriving.
        if start > 0 && (start == buffer.count || start > 65_536) {
            buffer.removeFirst(start)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next complete reply, nil until one has fully arrived. A multi-line reply ("250-…" lines, then "250 …")
    /// is one reply.
    mutating func next() throws -> SMTPReply? {
        while let lf = buffer[start...].firstIndex(of: 0x0A) {
            var end = lf
            if end > start && buffer[end - 1] == 0x0D { end -= 1 }
            let line = String(decoding: buffer[start..<end], as: UTF8.self)
            start = lf + 1
            let u = Array(line.utf8.prefix(4))
            guard u.count >= 3, u[0...2].allSatisfy({ (0x30...0x39).contains($0) }), let code = Int(line.prefix(3)),
                  u.count == 3 || u[3] == 0x20 || u[3] == 0x2D else { throw Malformed(line: line) }
            lines.append(String(line.dropFirst(4)))
            if u.count == 3 || u[3] == 0x20 {
                defer { lines = [] }
                return SMTPReply(code: code, lines: lines)
            }
        }
        if buffer.count - start > Self.maxLine { throw Malformed(line: String(decoding: buffer[start...].prefix(80), as: UTF8.self)) }
        return nil
    }
}
