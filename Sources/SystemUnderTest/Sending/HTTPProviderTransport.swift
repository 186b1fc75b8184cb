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
        let body = Array(Self.payload(messages, from: from).utf8)
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

    static func payload(_ ms: [OutgoingMessage], from: String) -> String {
        var s = "{\"from\":{\"email\":\(JSON.quote(from))},\"personalizations\":["
        for (i, m) in ms.enumerated() {
            if i > 0 { s += "," }
            s += "{\"to\":[{\"email\":\(JSON.quote(m.to))}],\"subject\":\(JSON.quote(m.subject))"
            s += ",\"headers\":{\"Message-ID\":\(JSON.quote(m.identity.messageID))}"
            s += ",\"custom_args\":{\"enqueued_ms\":\"\(m.enqueuedMs)\"}"
            s += ",\"substitutions\":{\"open_url\":\(JSON.quote(m.openURL))"
            if let c = m.clickURL { s += ",\"click_url\":\(JSON.quote(c))" }
            s += "},\"content\":[{\"type\":\"text/html\",\"value\":\(JSON.quote(m.html))}]}"
        }
        return s + "]}"
    }

    struct Reply: Decodable {
        struct Item: Decodable {
            var messageID: String
            var status: String
            enum CodingKeys: String, CodingKey { case status, messageID = "message_id" }
        }
        var results: [Item]
    }

    /// Per-message verdicts from the provider's reply; a reply that does not list a message leaves it to retry.
    static func results(_ body: [UInt8], _ ms: [OutgoingMessage]) -> [DeliveryResult] {
        guard let r = try? JSONDecoder().decode(Reply.self, from: Data(body)) else {
            return Array(repeating: .transient("unreadable provider reply"), count: ms.count)
        }
        var by: [String: String] = [:]
        for i in r.results { by[i.messageID] = i.status }
        return ms.map { m in
            switch by[m.identity.messageID] {
            case "accepted": return .sent
            case "rejected": return .permanent("provider rejected")
            case "deferred": return .transient("provider deferred")
            default: return .transient("not in provider reply")
            }
        }
    }
}
