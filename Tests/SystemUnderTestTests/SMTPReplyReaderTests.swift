import Testing
@testable import SystemUnderTest

struct SMTPReplyReaderTests {
    func feed(_ r: inout SMTPReplyReader, _ s: String) {
        Array(s.utf8).withUnsafeBytes { r.feed($0) }
    }

    /// A multi-line reply is one reply, whatever the reads cut it into.
    @Test func repliesSurviveAnySplit() throws {
        let text = "220 hi there\r\n250-sink\r\n250-PIPELINING\r\n250 SIZE 10\r\n354 go ahead\n250 ok\r\n"
        let want = [SMTPReply(code: 220, lines: ["hi there"]), SMTPReply(code: 250, lines: ["sink", "PIPELINING", "SIZE 10"]),
                    SMTPReply(code: 354, lines: ["go ahead"]), SMTPReply(code: 250, lines: ["ok"])]
        let bytes = Array(text.utf8)
        for cut in 0...bytes.count {
            var r = SMTPReplyReader()
            var got: [SMTPReply] = []
            for part in [bytes[..<cut], bytes[cut...]] {
                part.withUnsafeBytes { r.feed($0) }
                while let x = try r.next() { got.append(x) }
            }
            #expect(got == want, "cut at \(cut)")
        }
    }

    /// Dropping consumed bytes behind a reply still arriving (a long session whose reads end mid-reply) loses nothing.
    @Test func consumedRepliesAreDroppedBehindAPartialOne() throws {
        var r = SMTPReplyReader()
        var count = 0
        for _ in 0..<3 {
            feed(&r, String(repeating: "250 ok\r\n", count: 10_000) + "25")
            while try r.next() != nil { count += 1 }
            feed(&r, "0 x\r\n")
            #expect(try r.next() == SMTPReply(code: 250, lines: ["x"]))
        }
        #expect(count == 30_000)
    }

    @Test func bareCodeAndClasses() throws {
        var r = SMTPReplyReader()
        feed(&r, "250\r\n451 4.3.0 later\r\n550 5.1.1 no\r\n")
        let a = try #require(try r.next()), b = try #require(try r.next()), c = try #require(try r.next())
        #expect(a == SMTPReply(code: 250, lines: [""]) && a.isPositive && !a.isPermanent)
        #expect(!b.isPositive && !b.isPermanent && b.summary == "smtp 451")
        #expect(!c.isPositive && c.isPermanent)
        #expect(try r.next() == nil)
    }

    @Test func garbageIsAnErrorNotAReply() {
        for bad in ["hello\r\n", "25\r\n", "250x\r\n", "abc ok\r\n"] {
            var r = SMTPReplyReader()
            feed(&r, bad)
            #expect(throws: SMTPReplyReader.Malformed.self) { try r.next() }
        }
        var r = SMTPReplyReader()
        feed(&r, "250-" + String(repeating: "x", count: 5000))
        #expect(throws: SMTPReplyReader.Malformed.self) { try r.next() }
    }
}
