import Foundation
import NIOCore
import NIOEmbedded
import Testing
@testable import Harness
@testable import Environment

@Suite struct MailSinkTests {
    @Test func faultVerdictsFollowTheRates() throws {
        var f = FaultPlan()
        f.transientRate = 0.1
        f.permanentRate = 0.2
        f.dropRate = 0.05
        #expect(f.verdict(0.05) == .transient && f.verdict(0.15) == .permanent && f.verdict(0.33) == .drop && f.verdict(0.5) == .accept)
        f.dropRate = 0.8
        #expect(throws: SinkError.self) { try f.validate() }
        let decoded = try JSONDecoder().decode(FaultPlan.self, from: Data(#"{"transient_rate": 0.3}"#.utf8))
        #expect(decoded.transientRate == 0.3 && decoded.permanentRate == 0 && decoded.refuseStatus == 0)
        var refusing = FaultPlan()
        refusing.refuseStatus = 401
        #expect(throws: Never.self) { try refusing.validate() }
        refusing.refuseStatus = 200
        #expect(throws: SinkError.self) { try refusing.validate() }
    }

    @Test func ledgerCountsUniqueAndDuplicates() {
        let l = SinkLedger()
        #expect(l.accept(messageID: "<1.2@campaignd.mailstorm>", enqueuedMs: 1000, now: 2))
        #expect(!l.accept(messageID: "<1.2@campaignd.mailstorm>", enqueuedMs: 1000, now: 3))
        #expect(l.accept(messageID: "<other@elsewhere>", enqueuedMs: nil, now: 3))
        l.reject(permanent: true)
        let s = l.stats
        #expect(s.accepted == 3 && s.unique == 2 && s.duplicates == 1 && s.rejectedPermanent == 1)
        #expect(SinkLedger.key("<1.2@x>") != SinkLedger.key("<1.3@x>"))
        #expect(SinkLedger.key("<1.2@x>") & (1 << 63) == 0 && SinkLedger.key("weird") & (1 << 63) != 0)
        let h = try! HistogramCodec.decode(base64: s.deliveryHistogram)
        #expect(h.totalCount == 1 && abs(h.millis(at: 50) - 1000) < 2)
    }

    /// A pipelined SMTP session through the real handler: replies in order, one message, one duplicate.
    @Test func smtpSessionWithPipelining() throws {
        let sink = try MailSink()
        defer { sink.stop() }
        let channel = EmbeddedChannel(handler: SMTPSinkHandler(sink: sink))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        func replies() throws -> String {
            var out = ""
            while var b = try channel.readOutbound(as: ByteBuffer.self) { out += b.readString(length: b.readableBytes)! }
            return out
        }
        #expect(try replies().hasPrefix("220 "))
        let message = "Message-ID: <7.8@campaignd.mailstorm>\r\nX-Mailstorm-Enqueued: 1\r\n\r\nbody\r\n..stuffed\r\n.\r\n"
        try channel.writeInbound(ByteBuffer(string: "EHLO me\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n"))
        let r1 = try replies()
        #expect(r1.contains("250-PIPELINING") && r1.hasSuffix("250 2.1.0 ok\r\n250 2.1.5 ok\r\n354 end data with <CR><LF>.<CR><LF>\r\n"))
        // The body arrives split across reads, the terminator too.
        // Split by bytes: "\r\n" is one Character to Swift's String, so character slicing would eat the terminator.
        let bytes = Array(message.utf8)
        try channel.writeInbound(ByteBuffer(bytes: bytes[..<30]))
        try channel.writeInbound(ByteBuffer(bytes: bytes[30..<(bytes.count - 2)]))
        #expect(try replies() == "")
        try channel.writeInbound(ByteBuffer(string: "\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n" + message + "RSET\r\nNOOP\r\nQUIT\r\n"))
        let r3 = try replies()
        #expect(r3 == "250 2.0.0 queued\r\n250 2.1.0 ok\r\n250 2.1.5 ok\r\n354 end data with <CR><LF>.<CR><LF>\r\n250 2.0.0 queued\r\n250 2.0.0 ok\r\n250 2.0.0 ok\r\n221 2.0.0 bye\r\n", "\(r3.debugDescription)")
        let s = sink.ledger.stats
        #expect(s.accepted == 2 && s.unique == 1 && s.duplicates == 1)
    }

    @Test func messageEndFindsTheFirstTerminator() {
        let b = ByteBuffer(string: "a\r\n..b\r\n.\r\nMAIL\r\nx\r\n.\r\n")
        let (body, consumed) = SMTPSinkHandler.messageEnd(b)!
        #expect(String(buffer: body) == "a\r\n..b\r\n")
        #expect(consumed == 11)
    }

    /// A message arriving in reads of every size is found at the same end, whatever read the terminator
    /// straddles, with each search resuming where the last stopped (the body is scanned once, not per read).
    @Test func messageEndResumesAcrossReads() {
        let message = Array("Subject: x\r\n\r\n.. dots\r\nline\r\n.\r\nNEXT".utf8)
        let whole = SMTPSinkHandler.messageEnd(ByteBuffer(bytes: message))!
        for size in 1...message.count {
            var buf = ByteBuffer()
            var scanned = 0, found: (ByteBuffer, Int)?
            for start in stride(from: 0, to: message.count, by: size) where found == nil {
                buf.writeBytes(message[start..<min(start + size, message.count)])
                found = SMTPSinkHandler.messageEnd(buf, from: scanned)
                #expect(found != nil || scanned <= buf.readableBytes)
                scanned = SMTPSinkHandler.resumeOffset(afterSearching: buf.readableBytes)
            }
            #expect(found?.1 == whole.1 && found.map { String(buffer: $0.0) } == String(buffer: whole.0), "reads of \(size)")
        }
        var dot = ByteBuffer(string: ".\r")
        #expect(SMTPSinkHandler.messageEnd(dot, from: 0) == nil)
        let resume = SMTPSinkHandler.resumeOffset(afterSearching: dot.readableBytes)
        dot.writeString("\n")
        #expect(SMTPSinkHandler.messageEnd(dot, from: resume)?.1 == 3, "an empty message split after its dot")
    }

    @Test func smtpRejectsOutOfOrderCommands() throws {
        let sink = try MailSink()
        defer { sink.stop() }
        let channel = EmbeddedChannel(handler: SMTPSinkHandler(sink: sink))
        try channel.writeInbound(ByteBuffer(string: "RCPT TO:<c@d>\r\nDATA\r\nBOGUS\r\n"))
        var out = ""
        while var b = try channel.readOutbound(as: ByteBuffer.self) { out += b.readString(length: b.readableBytes)! }
        #expect(out.hasSuffix("503 5.5.1 MAIL first\r\n503 5.5.1 RCPT first\r\n500 5.5.2 unknown command\r\n"))
    }

    @Test func engagementFindsTrackingURLs() {
        let html = "<a href=\"http://h:1/t/c/1-2-0\">x</a><img src=\"http://h:1/t/o/1-2\" width=\"1\">"
        #expect(Engagement.url(in: html, marker: "/t/o/") == "http://h:1/t/o/1-2")
        #expect(Engagement.url(in: html, marker: "/t/c/") == "http://h:1/t/c/1-2-0")
        #expect(Engagement.url(in: "none", marker: "/t/o/") == nil)
    }
}

/// The sink faces whatever a client sends: a command line without end, or a message past the SIZE it
/// announced, is refused and the session closed, before memory grows without bound.
@Suite struct MailSinkLimitTests {
    func session() throws -> (MailSink, EmbeddedChannel) {
        let sink = try MailSink()
        let channel = EmbeddedChannel(handler: SMTPSinkHandler(sink: sink))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        _ = try channel.readOutbound(as: ByteBuffer.self)
        return (sink, channel)
    }

    func replies(_ channel: EmbeddedChannel) throws -> String {
        var out = ""
        while var b = try channel.readOutbound(as: ByteBuffer.self) { out += b.readString(length: b.readableBytes)! }
        return out
    }

    @Test func anEndlessCommandLineIsRefused() throws {
        let (sink, channel) = try session()
        defer { sink.stop() }
        try channel.writeInbound(ByteBuffer(string: String(repeating: "A", count: SMTPSinkHandler.maxCommandLine + 1)))
        #expect(try replies(channel) == "500 5.5.6 line too long\r\n")
        #expect(!channel.isActive)
    }

    @Test func aMessagePastTheAnnouncedSizeIsRefused() throws {
        let (sink, channel) = try session()
        defer { sink.stop() }
        try channel.writeInbound(ByteBuffer(string: "MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n"))
        _ = try replies(channel)
        let chunk = ByteBuffer(repeating: UInt8(ascii: "x"), count: 1 << 20)
        for _ in 0...(SMTPSinkHandler.maxMessageBytes >> 20) where channel.isActive { try channel.writeInbound(chunk) }
        #expect(try replies(channel) == "552 5.3.4 message exceeds the announced SIZE\r\n")
        #expect(!channel.isActive && sink.ledger.stats.accepted == 0)
    }
}
