/// One SMTP connection after its greeting and EHLO: sends commands and reads their replies, in one write when
/// the server offers PIPELINING (RFC 2920), else one command at a time.
final class SMTPSession {
    private let socket: BlockingSocket
    private var reader = SMTPReplyReader()
    /// Whether the server offered PIPELINING; only then may commands go out before their replies are in.
    let pipelining: Bool
    let eightBit: Bool
    /// Writes that then waited for replies, since EHLO: what pipelining saves.
    private(set) var roundTrips = 0

    /// The server turned the session down at its greeting or HELO.
    struct Refused: Error, CustomStringConvertible {
        var description: String
    }

    init(host: String, port: Int, helo: String, connectTimeout: Double = 2, ioTimeout: Double = 30) throws {
        socket = try BlockingSocket(host: host, port: port, connectTimeout: connectTimeout, ioTimeout: ioTimeout)
        let greeting = try Self.read(socket, &reader)
        guard greeting.code == 220 else { throw Refused(description: "greeting \(greeting.summary) \(greeting.lines.first ?? "")") }
        try socket.send(Array("EHLO \(helo)\r\n".utf8))
        var hello = try Self.read(socket, &reader)
        var extensions: Set<String> = []
        if hello.code == 250 {
            extensions = Set(hello.lines.dropFirst().map { String($0.uppercased().split(separator: " ").first ?? "") })
        } else {
            // A server without ESMTP refuses EHLO; HELO gets plain SMTP, one command at a time.
            try socket.send(Array("HELO \(helo)\r\n".utf8))
            hello = try Self.read(socket, &reader)
            guard hello.code == 250 else { throw Refused(description: "HELO refused: \(hello.summary)") }
        }
        pipelining = extensions.contains("PIPELINING")
        eightBit = extensions.contains("8BITMIME")
    }

    /// Set once an exchange failed: the connection may be unusable, even unwritable for the whole I/O timeout.
    private var failed = false

    deinit { if !failed { try? socket.send(Array("QUIT\r\n".utf8)) } }

    /// One command or message body to send, and whether it belongs to an envelope (MAIL, RCPT, DATA): an
    /// envelope command is not sent, one at a time, after another of its envelope was refused.
    struct Part {
        var bytes: [UInt8]
        var envelope: Bool
    }

    /// The replies to an exchange's parts, in order, and why the session ended if it did: then the parts past
    /// the last reply have none (a 421 is the last reply).
    struct Exchange {
        var replies: [SMTPReply] = []
        var failure: String? = nil
    }

    /// Sends `parts` and reads their replies. Pipelined: all in one write, then every reply. Otherwise one by one,
    /// stopping an envelope at its first refusal, so fewer replies may come back.
    func exchange(_ parts: [Part]) -> Exchange {
        var x = Exchange()
        x.replies.reserveCapacity(parts.count)
        do {
            if pipelining {
                var out: [UInt8] = []
                out.reserveCapacity(parts.reduce(0) { $0 + $1.bytes.count })
                for p in parts { out += p.bytes }
                try socket.send(out)
                roundTrips += 1
                for _ in parts where x.failure == nil { take(try Self.read(socket, &reader), &x) }
                return x
            }
            var refused = false
            for p in parts where x.failure == nil && !(p.envelope && refused) {
                try socket.send(p.bytes)
                roundTrips += 1
                take(try Self.read(socket, &reader), &x)
                if p.envelope && !(x.replies.last?.isPositive ?? false) { refused = true }
            }
        } catch {
            x.failure = "\(error)"
        }
        if x.failure != nil { failed = true }
        return x
    }

    private func take(_ r: SMTPReply, _ x: inout Exchange) {
        x.replies.append(r)
        if r.code == 421 { x.failure = "\(r.summary) \(r.lines.first ?? ""): the server closed the session" }
    }

    private static func read(_ socket: BlockingSocket, _ reader: inout SMTPReplyReader) throws -> SMTPReply {
        while true {
            if let r = try reader.next() { return r }
            try socket.receive { reader.feed($0) }
        }
    }
}
