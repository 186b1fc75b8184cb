import CCrypto
import Foundation
import Testing
@testable import SystemUnderTest

@Suite struct SendingTests {
    @Test func templateRendersTagsLinksAndPixel() {
        let t = CompiledTemplate("<body>Hi {{first_name}} {{ unknown }} <a href=\"https://x.io/a?b=1\">A</a> <a href='http://y.io'>B</a> <a href=\"mailto:z\">C</a></body>")
        #expect(t.links == ["https://x.io/a?b=1", "http://y.io"])
        let m = MessageIdentity(campaign: 3, contact: 44)
        let tokens = TrackingTokens(key: Array(repeating: 7, count: 32))
        let (c0, c1, o) = (tokens.click(m, link: 0), tokens.click(m, link: 1), tokens.open(m))
        let html = t.render(fields: ["first_name": "<Ann>"], base: "http://h:1", open: o, clicks: [c0, c1])
        #expect(html == "<body>Hi &lt;Ann&gt; {{ unknown }} <a href=\"http://h:1/t/c/\(c0)\">A</a> <a href='http://h:1/t/c/\(c1)'>B</a> <a href=\"mailto:z\">C</a><img src=\"http://h:1/t/o/\(o)\" width=\"1\" height=\"1\" alt=\"\"></body>")
        #expect(c0.hasPrefix("3-44-0.") && o.hasPrefix("3-44."))
    }

    /// Unclosed `{{` and `href="`, and tags split by a long span, are text; each opener used to rescan to the end
    /// (quadratic: a 256 KiB template of openers did not finish). Multi-byte text around delimiters survives.
    @Test func hostileTemplatesCompileInOnePassAndStayText() {
        for unit in ["{{", "href=\"", "href='", "{{ first_name", "{{" + String(repeating: " ", count: 70) + "email}}"] {
            let hostile = String(repeating: unit, count: 262_144 / unit.utf8.count)
            let t = CompiledTemplate(hostile)
            #expect(t.parts == [.text(hostile), .pixel] && t.links.isEmpty, "\(unit)")
        }
        let t = CompiledTemplate("é{{email}}ü<a href=\"https://ü.io\">x</a>{{{{first_name}}")
        #expect(t.parts == [.text("é"), .tag("email"), .text("ü<a href=\""), .link(0), .text("\">x</a>{{"), .tag("first_name"), .pixel], "\(t.parts)")
        #expect(t.links == ["https://ü.io"])
    }

    /// The pixel goes before the template's last `</body>`, found when the template is compiled.
    @Test func thePixelGoesBeforeTheLastBodyClose() {
        #expect(CompiledTemplate("<body>a</body>b</body>c").parts == [.text("<body>a</body>b"), .pixel, .text("</body>c")])
        #expect(CompiledTemplate("</body>").parts == [.pixel, .text("</body>")])
        #expect(CompiledTemplate("a</body>{{email}}</BODY>").parts == [.text("a"), .pixel, .text("</body>"), .tag("email"), .text("</BODY>")])
        #expect(CompiledTemplate("").parts == [.pixel])
        let t = CompiledTemplate("<p>{{first_name}}</p></body></html>")
        #expect(t.render(fields: ["first_name": "</body>"], base: "b", open: "o", clicks: [])
            == "<p>&lt;/body&gt;</p><img src=\"b/t/o/o\" width=\"1\" height=\"1\" alt=\"\"></body></html>")
    }

    /// A token names its message and link only under the key's signature: a forged, altered, re-keyed or
    /// open-for-click token is nobody's.
    @Test func trackingTokensAreSignedAndCheckedWholly() throws {
        let key = TrackingTokens(key: Array(repeating: 7, count: 32)), other = TrackingTokens(key: Array(repeating: 8, count: 32))
        let m = MessageIdentity(campaign: 12, contact: 345)
        let open = key.open(m), click = key.click(m, link: 2)
        #expect(key.verify(Substring(open))! == (m, nil) && key.verify(Substring(click))! == (m, 2))
        #expect(key.verify("12-345") == nil, "the old unsigned form")
        #expect(other.verify(Substring(open)) == nil, "another server's key")
        let sig = open.split(separator: ".")[1]
        #expect(key.verify(Substring("12-346.\(sig)")) == nil && key.verify(Substring("12-345-0.\(sig)")) == nil, "a signature moved to another message or link")
        var flipped = Array(open)
        flipped[flipped.count - 1] = flipped.last == "A" ? "B" : "A"
        #expect(key.verify(Substring(String(flipped))) == nil)
        #expect(key.verify(Substring(String(repeating: "9", count: 200) + "." + sig)) == nil)
        #expect(TrackingTokens(hex: String(repeating: "ab", count: 32)) != nil && TrackingTokens(hex: "abc") == nil && TrackingTokens(hex: "zz") == nil)
    }

    /// HMAC-SHA256 against RFC 4231's test case 2, SHA-256 against FIPS 180's "abc", and a comparison that needs equal lengths.
    @Test func cryptoMatchesPublishedVectors() {
        let mac = Crypto.HMACKey(Array("Jefe".utf8)).mac("what do ya want for nothing?").map { String(format: "%02x", $0) }.joined()
        #expect(mac == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        #expect(Crypto.sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Crypto.constantTimeEqual("secret", "secret") && !Crypto.constantTimeEqual("secret", "secreT") && !Crypto.constantTimeEqual("s", "secret"))
        #expect(Crypto.base64url([0xfb, 0xff]) == "-_8")
    }

    /// Against code no one here wrote: base64url against Foundation's base64 with RFC 4648 §5's substitutions,
    /// and HMAC-SHA256 against OpenSSL's one-shot HMAC(), for keys shorter than, equal to and longer than a block.
    @Test func cryptoMatchesFoundationAndOpenSSL() {
        var rng = SystemRandomNumberGenerator()
        for n in 0..<200 {
            let bytes = (0..<(n % 70)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let foundation = Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
            #expect(Crypto.base64url(bytes) == foundation, "\(bytes)")
            let key = (0..<(n % 150)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let message = String((0..<(n * 7 % 300)).map { _ in Character(UnicodeScalar(UInt8.random(in: 32...126, using: &rng))) }) + "é"
            var expected = [UInt8](repeating: 0, count: 32), length: UInt32 = 0
            let utf8 = Array(message.utf8)
            _ = HMAC(EVP_sha256(), key, Int32(key.count), utf8, utf8.count, &expected, &length)
            #expect(Crypto.HMACKey(key).mac(message) == expected, "key of \(key.count) bytes")
        }
    }

    @Test func identitiesRoundTrip() {
        let m = MessageIdentity(campaign: 12, contact: 345)
        #expect(MessageIdentity(messageID: m.messageID) == m)
        #expect(MessageIdentity(messageID: "<12.345@elsewhere>") == nil)
        #expect(MessageIdentity.parse(token: "12-345")! == (m, nil))
        #expect(MessageIdentity.parse(token: "12-345-2")! == (m, 2))
        #expect(MessageIdentity.parse(token: "12-x") == nil && MessageIdentity.parse(token: "0-1") == nil)
    }

    @Test func breakerOpensProbesAndCloses() {
        var b = CircuitBreaker(threshold: 3, cooldown: 2, maxCooldown: 5)
        let first = b.allow(now: 0)
        #expect(first)
        b.record(delivered: 0, failed: 2, now: 0)
        #expect(b.state == .closed)
        b.record(delivered: 0, failed: 1, now: 1)
        let early = b.allow(now: 2)
        #expect(b.state == .open(until: 3) && !early)
        let probe = b.allow(now: 3), second = b.allow(now: 3)
        #expect(probe && b.state == .halfOpen && !second)
        b.record(delivered: 0, failed: 1, now: 3)  // probe failed: open again, cooldown doubled
        #expect(b.state == .open(until: 7))
        let again = b.allow(now: 7)
        #expect(again)
        b.record(delivered: 1, failed: 0, now: 7)
        #expect(b.state == .closed && b.opened == 2)
    }

    @Test func retryBackoffGrowsWithJitterAndCap() {
        let r = RetryPolicy(base: 1, cap: 10, maxAttempts: 5)
        #expect(r.delay(afterAttempt: 1, u: 0.5) == 1)
        #expect(r.delay(afterAttempt: 3, u: 0) == 2)
        #expect(r.delay(afterAttempt: 3, u: 0.999) < 6)
        #expect(r.delay(afterAttempt: 10, u: 0.5) == 10)
    }

    /// CRLF line endings, and a dot that starts a line doubled (RFC 5321 4.5.2), so "." alone cannot end the
    /// message early; the receiver takes one dot off again.
    @Test func smtpTextHasCRLFAndStuffedDots() {
        let m = OutgoingMessage(identity: MessageIdentity(campaign: 1, contact: 2), to: "a@b.c", subject: "Hi\nthere", html: "line\n.dot\r\n.\nend.\n..",
                                enqueuedMs: 5, openURL: "", clickURL: nil)
        let text = String(decoding: SMTPTransport.rfc5322(m, from: "f@x"), as: UTF8.self)
        #expect(text.contains("Subject: Hi there\r\n") && text.contains("Message-ID: <1.2@campaignd.mailstorm>\r\n"))
        #expect(text.hasSuffix("\r\n\r\nline\r\n..dot\r\n..\r\nend.\r\n...\r\n"))
        for (html, body) in [("", "\r\n"), ("a\n", "a\r\n\r\n"), ("a\r", "a\r\n"), ("\r\r\n\n", "\r\r\n\r\n\r\n"), ("é\rx", "é\rx\r\n"),
                             (".", "..\r\n"), ("a\r.b", "a\r.b\r\n")] {
            let m = OutgoingMessage(identity: MessageIdentity(campaign: 1, contact: 2), to: "a@b.c", subject: "a\r\nb", html: html, enqueuedMs: 5, openURL: "", clickURL: nil)
            let text = String(decoding: SMTPTransport.rfc5322(m, from: "f@x"), as: UTF8.self)
            #expect(text.hasSuffix("utf-8\r\n\r\n" + body) && text.contains("Subject: a b\r\n"), "\(Array(html.utf8))")
        }
    }

    @Test func providerRepliesMapPerMessage() {
        let ms = (1...3).map { OutgoingMessage(identity: MessageIdentity(campaign: 1, contact: Int64($0)), to: "x@y.z", subject: "s", html: "h",
                                                enqueuedMs: 0, openURL: "o", clickURL: nil) }
        let reply = #"{"results":[{"message_id":"<1.1@campaignd.mailstorm>","status":"accepted"},{"message_id":"<1.2@campaignd.mailstorm>","status":"rejected"}]}"#
        #expect(HTTPProviderTransport.results(Array(reply.utf8), ms) == [.sent, .permanent("provider rejected"), .transient("not in provider reply")])
        #expect(HTTPProviderTransport.results(Array("garbage".utf8), ms).allSatisfy { if case .transient = $0 { true } else { false } })
        // Out of order, matched by Message-ID.
        let shuffled = #"{"results":[{"status":"rejected","message_id":"<1.3@campaignd.mailstorm>"},{"message_id":"<1.1@campaignd.mailstorm>","status":"deferred"}]}"#
        #expect(HTTPProviderTransport.results(Array(shuffled.utf8), ms) == [.transient("provider deferred"), .transient("not in provider reply"), .permanent("provider rejected")])
        for bad in [#"{"results":[{"message_id":"<1.1@campaignd.mailstorm>"}]}"#, #"{"result":[]}"#, #"{"results":[]} x"#, #"{"results":[1]}"#] {
            #expect(HTTPProviderTransport.results(Array(bad.utf8), ms).allSatisfy { $0 == .transient("unreadable provider reply") }, "\(bad)")
        }
    }

    /// The request body, read back by Foundation's JSON reader, which no one here wrote, holds every message as it was.
    @Test func providerPayloadReadsBack() throws {
        let ms = (1...3).map { OutgoingMessage(identity: MessageIdentity(campaign: 7, contact: Int64($0)), to: "x\($0)@y.z", subject: "s \"\($0)\"\n",
                                                html: "<a href=\"u\">é\\\u{01}</a>", enqueuedMs: 1_700_000_000_000 + Int64($0), openURL: "o\($0)",
                                                clickURL: $0 == 2 ? nil : "c\($0)") }
        let body = try #require(try JSONSerialization.jsonObject(with: Data(HTTPProviderTransport.payload(ms, from: "f@x"))) as? [String: Any])
        #expect((body["from"] as? [String: String])?["email"] == "f@x")
        let ps = try #require(body["personalizations"] as? [[String: Any]])
        #expect(ps.count == 3)
        for (p, m) in zip(ps, ms) {
            #expect((p["to"] as? [[String: String]])?.first?["email"] == m.to && p["subject"] as? String == m.subject)
            #expect((p["headers"] as? [String: String])?["Message-ID"] == m.identity.messageID)
            #expect((p["custom_args"] as? [String: String])?["enqueued_ms"] == String(m.enqueuedMs))
            let subs = p["substitutions"] as? [String: String]
            #expect(subs?["open_url"] == m.openURL && subs?["click_url"] == m.clickURL)
            #expect((p["content"] as? [[String: String]])?.first?["value"] == m.html)
        }
    }

    /// The reply reader against Foundation's JSON reader on random replies: escapes (`\u003c`, surrogate pairs),
    /// whitespace, members in any order, values of every kind beside them, and broken text. Where Foundation reads
    /// a reply of the right shape, so does it, to the same items; where Foundation finds no JSON, neither does it.
    @Test func providerReplyReaderAgreesWithFoundation() {
        var rng = SystemRandomNumberGenerator()
        func pick<T>(_ xs: [T]) -> T { xs.randomElement(using: &rng)! }
        let ws = ["", " ", "\n ", "\t"]
        let strings = [#""<1.2@campaignd.mailstorm>""#, #""\u003c1.2@campaignd.mailstorm\u003e""#, #""accepted""#, #""a\"b\\c\/d\n""#,
                       #""\ud83d\ude00 é""#, #""""#]
        let others = ["1", "-0.5e+3", "true", "false", "null", #"{"a":[1,{"b":null}]}"#, "[]", #""x""#]
        func value() -> String { Bool.random(using: &rng) ? pick(strings) : pick(others) }
        func item() -> String {
            var members = ["\"message_id\":" + pick(ws) + pick(strings), "\"status\":" + pick(ws) + pick(strings)]
            if Int.random(in: 0..<3, using: &rng) == 0 { members.removeLast() }
            if Bool.random(using: &rng) { members.append("\"extra\":" + value()) }
            return "{" + pick(ws) + members.shuffled(using: &rng).joined(separator: "," + pick(ws)) + pick(ws) + "}"
        }
        var read = 0
        for _ in 0..<2000 {
            var text = pick(ws) + "{\"results\":" + pick(ws) + "[" + (0..<Int.random(in: 0..<4, using: &rng)).map { _ in item() }.joined(separator: ",") + "]"
                + (Bool.random(using: &rng) ? ",\"id\":" + value() : "") + "}" + pick(ws)
            if Int.random(in: 0..<5, using: &rng) == 0 {  // broken: a byte dropped
                var b = Array(text.utf8)
                b.remove(at: Int.random(in: 0..<b.count, using: &rng))
                text = String(decoding: b, as: UTF8.self)
            }
            let ours = ProviderReply(Array(text.utf8))
            let theirs = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
            let items = (theirs?["results"] as? [Any])?.map { ($0 as? [String: Any]).flatMap { d -> ProviderReply.Item? in
                guard let id = d["message_id"] as? String, let st = d["status"] as? String else { return nil }
                return ProviderReply.Item(messageID: id, status: st)
            } }
            let expected = items.flatMap { $0.contains { $0 == nil } ? nil : ProviderReply(results: $0.map { $0! }) }
            #expect(ours == expected, "\(text)")
            if ours != nil { read += 1 }
        }
        #expect(read > 200, "too few replies of the right shape were tried")
    }

    @Test func jsonQuoteEscapes() {
        #expect(JSON.quote("a\"b\\c\nd\u{01}é") == "\"a\\\"b\\\\c\\nd\\u0001é\"")
        #expect(JSON.quote("\u{1f}\t\r\u{0b}") == #""\u001f\t\r\u000b""#)
        #expect(JSON.quote("") == "\"\"")
        // Foundation's JSON reader, which no one here wrote, reads every quoted string back as it was.
        var rng = SystemRandomNumberGenerator()
        let pool: [Character] = ["a", "\"", "\\", "\n", "\r", "\t", "\u{00}", "\u{1f}", "\u{7f}", "é", "€", "😀", "/", " "]
        for n in 0..<500 {
            let s = String((0..<(n % 40)).map { _ in pool.randomElement(using: &rng)! })
            let back = try? JSONSerialization.jsonObject(with: Data(JSON.quote(s).utf8), options: .fragmentsAllowed) as? String
            #expect(back == s, "\(Array(s.unicodeScalars))")
            var appended = Array("x".utf8)
            JSON.appendQuoted(s, to: &appended)
            #expect(appended == Array(("x" + JSON.quote(s)).utf8), "\(Array(s.unicodeScalars))")
        }
    }
}
