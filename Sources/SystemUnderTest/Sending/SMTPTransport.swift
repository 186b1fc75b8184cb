import CCurl
import Foundation

/// SMTP through libcurl: one message per transfer on a connection that libcurl keeps open between them.
public final class SMTPTransport: CurlTransport, MailTransport {
    public let batchSize = 1
    public let name = "smtp"

    public init(url: String, from: String) throws {
        try super.init(url: url, from: from, options: [(CURLOPT_UPLOAD, 1)])
        curl.set(CURLOPT_MAIL_FROM, "<\(from)>")
    }

    public func deliver(_ messages: [OutgoingMessage]) -> [DeliveryResult] {
        messages.map(deliver)
    }

    func deliver(_ m: OutgoingMessage) -> DeliveryResult {
        let rcpt = CurlList(["<\(m.to)>"])
        ccurl_setopt_ptr(curl.h, CURLOPT_MAIL_RCPT, rcpt.list)
        let (rc, code) = curl.perform(upload: Self.rfc5322(m, from: from))
        ccurl_setopt_ptr(curl.h, CURLOPT_MAIL_RCPT, nil)
        if rc == CURLE_OK { return .sent }
        // libcurl reports the server's last reply code: 5xx is final, 4xx and transport errors are retried.
        if (500...599).contains(code) { return .permanent("smtp \(code)") }
        return .transient(code > 0 ? "smtp \(code)" : CurlHandle.message(rc))
    }

    /// The message text with CRLF line endings, built by byte: splitting the body into lines as Strings, and
    /// Foundation's replacements in the subject, were 12% of campaignd's CPU in an SMTP send. No dot-stuffing:
    /// libcurl stuffs leading dots itself, and doing it here too made ".x" arrive as "..x".
    static func rfc5322(_ m: OutgoingMessage, from: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(m.html.utf8.count + m.html.utf8.count / 32 + 256)
        out += "From: <\(from)>\r\nTo: <\(m.to)>\r\nSubject: ".utf8
        // A header is one line: CR dropped, LF as a space.
        for b in m.subject.utf8 where b != 0x0D { out.append(b == 0x0A ? 0x20 : b) }
        out += "\r\nMessage-ID: \(m.identity.messageID)\r\nX-Mailstorm-Enqueued: \(m.enqueuedMs)\r\nMIME-Version: 1.0\r\n".utf8
        out += "Content-Type: text/html; charset=utf-8\r\n\r\n".utf8
        // Each line, the last one too, ends in CRLF, whether it ended in LF, CRLF or nothing.
        var cr = false
        for b in m.html.utf8 {
            if b == 0x0A && !cr { out.append(0x0D) }
            out.append(b)
            cr = b == 0x0D
        }
        out += cr ? [0x0A] : [0x0D, 0x0A]
        return out
    }
}


/// What both libcurl transports share: one easy handle aimed at the URL, and the sender's address.
public class CurlTransport {
    let curl: CurlHandle
    let from: String

    init(url: String, from: String, options: [(CURLoption, Int)]) throws {
        curl = try CurlHandle()
        self.from = from
        curl.set(CURLOPT_URL, url)
        for (o, v) in options { curl.set(o, v) }
    }
}
