import Foundation
import Testing
@testable import SystemUnderTest

@Suite struct SendingTests {
    @Test func templateRendersTagsLinksAndPixel() {
        let t = CompiledTemplate("<body>Hi {{first_name}} {{ unknown }} <a href=\"https://x.io/a?b=1\">A</a> <a href='http://y.io'>B</a> <a href=\"mailto:z\">C</a></body>")
        #expect(t.links == ["https://x.io/a?b=1", "http://y.io"])
        let m = MessageIdentity(campaign: 3, contact: 44)
        let html = t.render(fields: ["first_name": "<Ann>"], identity: m, base: "http://h:1")
        #expect(html == "<body>Hi &lt;Ann&gt; {{ unknown }} <a href=\"http://h:1/t/c/3-44-0\">A</a> <a href='http://h:1/t/c/3-44-1'>B</a> <a href=\"mailto:z\">C</a><img src=\"http://h:1/t/o/3-44\" width=\"1\" height=\"1\" alt=\"\"></body>")
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

    @Test func smtpTextIsDotStuffedWithCRLF() {
        let m = OutgoingMessage(identity: MessageIdentity(campaign: 1, contact: 2), to: "a@b.c", subject: "Hi\nthere", html: "line\n.dot\r\nend",
                                enqueuedMs: 5, openURL: "", clickURL: nil)
        let text = SMTPTransport.rfc5322(m, from: "f@x")
        #expect(text.contains("Subject: Hi there\r\n") && text.contains("Message-ID: <1.2@campaignd.mailstorm>\r\n"))
        #expect(text.hasSuffix("\r\n\r\nline\r\n..dot\r\nend\r\n"))
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
    }
}
