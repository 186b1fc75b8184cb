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
        let payload = HTTPProviderTransport.payload(ms, from: "f@x")
        #expect((try? JSONSerialization.jsonObject(with: Data(payload.utf8))) != nil)
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
        }
    }
}
