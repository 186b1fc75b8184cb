import Foundation

/// SMTP on a connection of its own (`SMTPSession`), kept open between batches.
///
/// With PIPELINING a message costs one round trip: its body goes out with the next message's MAIL, RCPT and DATA
/// (RFC 2920 lets message content start a group). libcurl made one transfer per message, four round trips each,
/// and the sink's and campaignd's work per round trip bounded the send.
public final class SMTPTransport: MailTransport {
    /// A claim's worth per call, so one pipeline runs through the claim.
    public let batchSize = 50
    public let name = "smtp"
    let host: String
    let port: Int
    let from: String
    private var session: SMTPSession?
    /// Round trips of the sessions before this one (tests read the total).
    private var endedRoundTrips = 0
    var roundTrips: Int { endedRoundTrips + (session?.roundTrips ?? 0) }

    public init(url: String, from: String) throws {
        (host, port) = try Self.address(url)
        self.from = from
    }

    /// Host and port of `smtp://host[:port]` (25 by default).
    static func address(_ url: String) throws -> (String, Int) {
        guard let u = URLComponents(string: url), u.scheme == "smtp", var host = u.host, !host.isEmpty,
              u.path.isEmpty || u.path == "/", u.query == nil, u.user == nil, (1...65_535).contains(u.port ?? 25) else {
            throw ConfigError("--mail-url '\(url)': expected smtp://host[:port]")
        }
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host, u.port ?? 25)
    }

    public func deliver(_ messages: [OutgoingMessage]) -> [DeliveryResult] {
        var results = messages.map { Self.isSafeAddress($0.to) ? nil : DeliveryResult.permanent("invalid recipient address") }
        var next = 0
        // Sessions lost before any message got an answer: a server that drops every session is given up on.
        var fruitless = 0
        while next < messages.count {
            let s: SMTPSession
            do {
                s = try session ?? SMTPSession(host: host, port: port, helo: "campaignd")
            } catch {
                for i in next..<messages.count where results[i] == nil { results[i] = .transient("\(error)") }
                break
            }
            session = s
            let answered = results.lazy.compactMap { $0 }.count
            let (upTo, failure) = run(s, messages, from: next, &results)
            next = upTo
            guard let failure else { continue }
            endedRoundTrips += s.roundTrips
            session = nil
            fruitless = results.lazy.compactMap { $0 }.count > answered ? 0 : fruitless + 1
            if fruitless >= 2 {
                for i in next..<messages.count where results[i] == nil { results[i] = .transient(failure) }
                break
            }
        }
        return results.map { $0 ?? .transient("not attempted") }
    }

    /// Delivers `messages` from `start` on `s` until done or the session ends. Returns the first message not
    /// attempted (sent again on a new session) and why the session ended. A message whose body went out without
    /// an answer is transient: it may have arrived, and its Message-ID lets the receiver spot the repeat.
    func run(_ s: SMTPSession, _ messages: [OutgoingMessage], from start: Int, _ results: inout [DeliveryResult?]) -> (Int, String?) {
        var carrying: Int? = nil  // its DATA got 354; its body goes out with the next group
        var reset = false  // the last envelope was refused part way: RSET before the next
        var i = start
        while true {
            while i < messages.count && results[i] != nil { i += 1 }
            guard i < messages.count || carrying != nil else { break }
            var parts: [SMTPSession.Part] = []
            if let c = carrying {
                var content = Self.rfc5322(messages[c], from: from)
                content += Self.endOfData  // in place: rfc5322 reserved room, where `+` copied the whole message
                parts.append(.init(bytes: content, envelope: false))
            }
            let envelope = i < messages.count
            if envelope {
                if reset { parts.append(.init(bytes: Array("RSET\r\n".utf8), envelope: false)) }
                parts += envelopeCommands(messages[i], eightBit: s.eightBit).map { .init(bytes: $0, envelope: true) }
            }
            let x = s.exchange(parts)
            var replies = x.replies[...]
            if let c = carrying {
                results[c] = replies.popFirst().map(Self.outcome) ?? .transient(x.failure ?? "no reply")
                carrying = nil
            }
            if envelope {
                if reset { _ = replies.popFirst() }  // a refused RSET shows in the replies after it
                if let refusal = replies.first(where: { !$0.isPositive }) {
                    results[i] = refusal.isPermanent ? .permanent(refusal.summary) : .transient(refusal.summary)
                    reset = true
                    // A server that takes DATA after a refused RCPT is owed an empty message, which it rejects.
                    if replies.count == 3, replies.last?.code == 354, x.failure == nil,
                       let f = s.exchange([.init(bytes: Self.endOfData, envelope: false)]).failure { return (i + 1, f) }
                } else if replies.count == 3 {
                    carrying = i
                    reset = false
                } else {
                    return (i, x.failure ?? "no reply")  // cut off mid-envelope: nothing of it was sent
                }
                i += 1
            }
            if let f = x.failure { return (i, f) }
        }
        return (i, nil)
    }

    static let endOfData: [UInt8] = Array(".\r\n".utf8)

    /// False for an address that could smuggle a command into the session.
    static func isSafeAddress(_ a: String) -> Bool { !a.isEmpty && !a.utf8.contains { $0 == 13 || $0 == 10 || $0 == 60 || $0 == 62 } }

    func envelopeCommands(_ m: OutgoingMessage, eightBit: Bool) -> [[UInt8]] {
        [Array("MAIL FROM:<\(from)>\(eightBit ? " BODY=8BITMIME" : "")\r\n".utf8), Array("RCPT TO:<\(m.to)>\r\n".utf8), Array("DATA\r\n".utf8)]
    }

    /// The answer to a message's content: 2xx sent, 5xx bounced, anything else worth another try.
    static func outcome(_ r: SMTPReply) -> DeliveryResult {
        (200...299).contains(r.code) ? .sent : r.isPermanent ? .permanent(r.summary) : .transient(r.summary)
    }

    /// The message text with CRLF line endings and dot-stuffed (RFC 5321 4.5.2), built by byte: splitting the body
    /// into lines as Strings, and Foundation's replacements in the subject, were 12% of campaignd's CPU in an SMTP
    /// send.
    static func rfc5322(_ m: OutgoingMessage, from: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(m.html.utf8.count + m.html.utf8.count / 32 + 256)
        out += "From: <\(from)>\r\nTo: <\(m.to)>\r\nSubject: ".utf8
        // A header is one line: CR dropped, LF as a space.
        for b in m.subject.utf8 where b != 0x0D { out.append(b == 0x0A ? 0x20 : b) }
        out += "\r\nMessage-ID: \(m.identity.messageID)\r\nX-Mailstorm-Enqueued: \(m.enqueuedMs)\r\nMIME-Version: 1.0\r\n".utf8
        out += "Content-Type: text/html; charset=utf-8\r\n\r\n".utf8
        // Each line, the last one too, ends in CRLF, whether it ended in LF, CRLF or nothing.
        var cr = false, lineStart = true
        for b in m.html.utf8 {
            if b == 0x0A && !cr { out.append(0x0D) }
            if b == 0x2E && lineStart { out.append(0x2E) }
            out.append(b)
            cr = b == 0x0D
            lineStart = b == 0x0A
        }
        out += cr ? [0x0A] : [0x0D, 0x0A]
        return out
    }
}

