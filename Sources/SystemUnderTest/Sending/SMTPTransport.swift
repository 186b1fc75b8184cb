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
        let (rc, code) = curl.perform(upload: Array(Self.rfc5322(m, from: from).utf8))
        ccurl_setopt_ptr(curl.h, CURLOPT_MAIL_RCPT, nil)
        if rc == CURLE_OK { return .sent }
        // libcurl reports the server's last reply code: 5xx is final, 4xx and transport errors are retried.
        if (500...599).contains(code) { return .permanent("smtp \(code)") }
        return .transient(code > 0 ? "smtp \(code)" : CurlHandle.message(rc))
    }

    /// The message text with CRLF line endings. No dot-stuffing: libcurl stuffs leading dots itself, and doing
    /// it here too made ".x" arrive as "..x".
    static func rfc5322(_ m: OutgoingMessage, from: String) -> String {
        var s = "From: <\(from)>\r\nTo: <\(m.to)>\r\nSubject: \(m.subject.replacingOccurrences(of: "\r", with: "").replacingOccurrences(of: "\n", with: " "))\r\n"
        s += "Message-ID: \(m.identity.messageID)\r\nX-Mailstorm-Enqueued: \(m.enqueuedMs)\r\nMIME-Version: 1.0\r\n"
        s += "Content-Type: text/html; charset=utf-8\r\n\r\n"
        for line in m.html.split(separator: "\n", omittingEmptySubsequences: false) {
            var l = line
            if l.hasSuffix("\r") { l = l.dropLast() }
            s += l
            s += "\r\n"
        }
        return s
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
