import CCurl
import Foundation

/// A provider's HTTP API through libcurl: many recipients per POST, as SendGrid v3's `personalizations`.
///
/// Each personalization carries its Message-ID (the receiver's idempotency key for that message) and the
/// values campaignd rendered for it; the request's Idempotency-Key names the batch.
public final class HTTPProviderTransport: MailTransport {
    public let batchSize = 500
    public let name = "http"
    let curl: CurlHandle
    let from: String

    public init(url: String, from: String) throws {
        curl = try CurlHandle()
        self.from = from
        curl.set(CURLOPT_URL, url)
        curl.set(CURLOPT_POST, 1)
    }

    public func deliver(_ messages: [OutgoingMessage]) -> [DeliveryResult] {
        guard !messages.isEmpty else { return [] }
        let body = Self.payload(messages, from: from)
        let key = "\(messages[0].identity.campaign)-\(messages[0].identity.contact)-\(messages.count)"
        let headers = CurlList(["Content-Type: application/json", "Idempotency-Key: \(key)", "Expect:"])
        ccurl_setopt_ptr(curl.h, CURLOPT_HTTPHEADER, headers.list)
        ccurl_setopt_off(curl.h, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count))
        ccurl_setopt_ptr(curl.h, CURLOPT_POSTFIELDS, nil)
        let (rc, code) = curl.perform(upload: body)
        ccurl_setopt_ptr(curl.h, CURLOPT_HTTPHEADER, nil)
        guard rc == CURLE_OK else { return Array(repeating: .transient(CurlHandle.message(rc)), count: messages.count) }
        // A refusal of the whole request (401 a revoked key, 404 a moved endpoint, 413, 429, 5xx) says nothing about
        // any recipient: the batch is retried and trips the breaker, and only a per-message verdict bounces one.
        guard code < 300 else { return Array(repeating: .transient("http \(code)"), count: messages.count) }
        return Self.results(curl.response, messages)
    }

    /// The request body, built as bytes: as a String, each message's pieces were appended and copied again (a fifth
    /// of campaignd's CPU in an HTTP send).
    static func payload(_ ms: [OutgoingMessage], from: String) -> [UInt8] {
        var s: [UInt8] = []
        s.reserveCapacity(ms.reduce(64) { $0 + $1.html.utf8.count + $1.openURL.utf8.count + ($1.clickURL?.utf8.count ?? 0) + 240 })
        s += #"{"from":{"email":"#.utf8
        JSON.appendQuoted(from, to: &s)
        s += #"},"personalizations":["#.utf8
        for (i, m) in ms.enumerated() {
            s += (i > 0 ? #",{"to":[{"email":"# : #"{"to":[{"email":"#).utf8
            JSON.appendQuoted(m.to, to: &s)
            s += #"}],"subject":"#.utf8
            JSON.appendQuoted(m.subject, to: &s)
            s += #","headers":{"Message-ID":"#.utf8
            JSON.appendQuoted(m.identity.messageID, to: &s)
            s += #"},"custom_args":{"enqueued_ms":""#.utf8
            s += String(m.enqueuedMs).utf8
            s += #""},"substitutions":{"open_url":"#.utf8
            JSON.appendQuoted(m.openURL, to: &s)
            if let c = m.clickURL {
                s += #","click_url":"#.utf8
                JSON.appendQuoted(c, to: &s)
            }
            s += #"},"content":[{"type":"text/html","value":"#.utf8
            JSON.appendQuoted(m.html, to: &s)
            s += "}]}".utf8
        }
        s += "]}".utf8
        return s
    }

    /// Per-message verdicts from the provider's reply; a reply that does not list a message leaves it to retry.
    /// Providers answer in the order asked, so items are matched by position, and by Message-ID only when they are not.
    static func results(_ body: [UInt8], _ ms: [OutgoingMessage]) -> [DeliveryResult] {
        guard let r = ProviderReply(body) else {
            return Array(repeating: .transient("unreadable provider reply"), count: ms.count)
        }
        if r.results.count == ms.count, zip(r.results, ms).allSatisfy({ $0.messageID == $1.identity.messageID }) {
            return r.results.map { verdict($0.status) }
        }
        var by: [String: String] = [:]
        for i in r.results { by[i.messageID] = i.status }
        return ms.map { verdict(by[$0.identity.messageID]) }
    }

    static func verdict(_ status: String?) -> DeliveryResult {
        switch status {
        case "accepted": return .sent
        case "rejected": return .permanent("provider rejected")
        case "deferred": return .transient("provider deferred")
        default: return .transient("not in provider reply")
        }
    }
}
