import Foundation
import NIOCore
import Harness

/// One SMTP session of the sink: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT, with PIPELINING.
///
/// Commands are answered in order from whatever arrived; replies to one read go out in one write, so a
/// pipelining client gets one segment back. An injected latency holds the DATA reply and every later command.
final class SMTPSinkHandler: ChannelInboundHandler, @unchecked Sendable {
    // One per channel, touched only on its event loop.
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let sink: MailSink
    private var input: ByteBuffer? = nil
    private var inData = false
    /// Bytes of the DATA body already searched for its end: each read resumes there, so a message arriving in
    /// many reads is scanned once, not from its start on every read.
    private var scanned = 0
    private var recipients = 0
    private var sender = false
    private var held = false
    private var rng = SystemRandomNumberGenerator()

    init(sink: MailSink) { self.sink = sink }

    /// A command line longer than this without its LF is refused (RFC 5321 allows 512 octets).
    static let maxCommandLine = 4096
    /// The SIZE the sink announces; a message that grows past it is refused and the session closed.
    static let maxMessageBytes = 52_428_800

    func channelActive(context: ChannelHandlerContext) {
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: "220 mailstorm-sink ESMTP ready\r\n")), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var b = unwrapInboundIn(data)
        if input == nil { input = b } else { input!.writeBuffer(&b) }
        process(context: context)
    }

    private func process(context: ChannelHandlerContext) {
        var out = context.channel.allocator.buffer(capacity: 256)
        defer { if out.readableBytes > 0 { context.writeAndFlush(wrapOutboundOut(out), promise: nil) } }
        while !held, var buf = input, buf.readableBytes > 0 {
            if inData {
                guard let (body, consumed) = Self.messageEnd(buf, from: scanned) else {
                    scanned = Self.resumeOffset(afterSearching: buf.readableBytes)
                    if buf.readableBytes > Self.maxMessageBytes { refuse("552 5.3.4 message exceeds the announced SIZE", context: context) }
                    return
                }
                buf.moveReaderIndex(forwardBy: consumed)
                input = buf
                inData = false
                scanned = 0
                if out.readableBytes > 0 { context.writeAndFlush(wrapOutboundOut(out), promise: nil); out.clear() }
                finishMessage(context: context, body: body)
                continue
            }
            guard let line = Self.line(&buf) else {
                if buf.readableBytes > Self.maxCommandLine { refuse("500 5.5.6 line too long", context: context) }
                return
            }
            input = buf
            reply(to: line, out: &out, context: context)
        }
    }

    /// Answers `reply`, drops what was buffered, and closes: the client broke the protocol's limits.
    private func refuse(_ reply: String, context: ChannelHandlerContext) {
        input = nil
        inData = false
        scanned = 0
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: reply + "\r\n"))).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }

    private func finishMessage(context: ChannelHandlerContext, body: ByteBuffer) {
        let fault = sink.faults
        let verdict = fault.verdict(Double.random(in: 0..<1, using: &rng))
        let respond = { [self] in
            if fault.refuseStatus != 0 {  // an outage: nothing about this recipient, try again later
                sink.ledger.reject(permanent: false)
                context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: "421 4.3.2 service not available\r\n")), promise: nil)
                sender = false
                recipients = 0
                return
            }
            switch verdict {
            case .drop:
                sink.ledger.drop()
                context.close(promise: nil)
                return
            case .transient:
                sink.ledger.reject(permanent: false)
                context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: "451 4.3.0 try again later\r\n")), promise: nil)
            case .permanent:
                sink.ledger.reject(permanent: true)
                context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: "550 5.1.1 mailbox unavailable\r\n")), promise: nil)
            case .accept:
                let h = MessageHeaders(body)
                sink.accepted(messageID: h.messageID, enqueuedMs: h.enqueuedMs, body: body)
                context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: "250 2.0.0 queued\r\n")), promise: nil)
            }
            sender = false
            recipients = 0
        }
        if let delay = fault.latency(using: &rng) {
            held = true
            context.eventLoop.assumeIsolated().scheduleTask(in: delay) { [self] in
                respond()
                held = false
                process(context: context)
            }
        } else {
            respond()
        }
    }

    private func reply(to line: String, out: inout ByteBuffer, context: ChannelHandlerContext) {
        let verb = line.prefix(4).uppercased()
        switch verb {
        case "EHLO":
            out.writeString("250-mailstorm-sink\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SIZE 52428800\r\n")
        case "HELO": out.writeString("250 mailstorm-sink\r\n")
        case "MAIL":
            sender = true
            recipients = 0
            out.writeString("250 2.1.0 ok\r\n")
        case "RCPT":
            if sender { recipients += 1; out.writeString("250 2.1.5 ok\r\n") } else { out.writeString("503 5.5.1 MAIL first\r\n") }
        case "DATA":
            if recipients > 0 { inData = true; out.writeString("354 end data with <CR><LF>.<CR><LF>\r\n") } else { out.writeString("503 5.5.1 RCPT first\r\n") }
        case "RSET":
            sender = false
            recipients = 0
            out.writeString("250 2.0.0 ok\r\n")
        case "NOOP": out.writeString("250 2.0.0 ok\r\n")
        case "QUIT":
            out.writeString("221 2.0.0 bye\r\n")
            let o = out
            out.clear()
            context.writeAndFlush(wrapOutboundOut(o)).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        default: out.writeString("500 5.5.2 unknown command\r\n")
        }
    }

    /// The next CRLF-terminated line, consumed from `buf`.
    static func line(_ buf: inout ByteBuffer) -> String? {
        guard let i = buf.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else { return nil }
        let len = i - buf.readerIndex
        var s = buf.readString(length: len)!
        buf.moveReaderIndex(forwardBy: 1)
        if s.hasSuffix("\r") { s.removeLast() }
        return s
    }

    static let terminator: [UInt8] = [13, 10, 46, 13, 10]

    /// Where the next search may start when `readable` bytes held no end: a terminator may straddle the reads.
    static func resumeOffset(afterSearching readable: Int) -> Int { max(0, readable - (terminator.count - 1)) }

    /// The message body up to the terminating CRLF.CRLF (or "." alone at the start), and the bytes consumed;
    /// `from`: bytes of the body already searched (`resumeOffset`).
    static func messageEnd(_ buf: ByteBuffer, from: Int = 0) -> (ByteBuffer, Int)? {
        let v = buf.readableBytesView
        if from == 0, v.starts(with: [46, 13, 10]) { return (ByteBuffer(), 3) }
        let pattern = terminator
        var i = v.startIndex + min(from, v.count)
        while let cr = v[i...].firstIndex(of: 13) {
            if v[cr...].starts(with: pattern) {
                let len = cr - v.startIndex + 2
                return (buf.getSlice(at: buf.readerIndex, length: len)!, len + 3)
            }
            i = cr + 1
        }
        return nil
    }
}

/// The two headers the sink reads: Message-ID and X-Mailstorm-Enqueued (Unix ms), from the header block only.
struct MessageHeaders {
    var messageID: Substring?
    var enqueuedMs: Double?

    init(_ body: ByteBuffer) {
        let view = body.readableBytesView
        // Header block: up to the first empty line.
        var end = view.endIndex
        if let r = view.firstRange(of: [13, 10, 13, 10]) { end = r.lowerBound }
        let text = String(decoding: view[view.startIndex..<end], as: UTF8.self)
        for line in text.split(separator: "\r\n") {
            if line.count > 11, line.prefix(11).lowercased() == "message-id:" {
                messageID = Substring(line.dropFirst(11).trimmingCharacters(in: .whitespaces))
            } else if line.count > 21, line.prefix(21).lowercased() == "x-mailstorm-enqueued:" {
                enqueuedMs = Double(line.dropFirst(21).trimmingCharacters(in: .whitespaces))
            }
        }
    }
}
