import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// A real HTTP/1.1 server on loopback for engine tests: answers every request with 200 and `{"n":"N"}` (N counting
/// requests from 1), records each request line, and can pause
/// all answers for a while (a stall, like a GC pause or a lock), which is what coordinated omission hides. With
/// `answerBeforeBody` it answers each request as soon as its head arrives, as a server refusing an upload early
/// does, and then discards the body.
final class TestHTTPServer: Sendable {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let channel: Channel
    /// With `acceptAfter`: the connection that fills the listener's queue.
    let filler: Channel?
    let state = ServerState()
    var port: Int { channel.localAddress!.port! }
    var url: String { "http://127.0.0.1:\(port)" }
    var requests: Int { state.m.withLock { $0.requests } }
    /// When each request arrived (uptime nanoseconds), in order.
    var arrivals: [UInt64] { state.arrivals.withLock { $0 } }
    /// Each request's first line ("GET /path HTTP/1.1"), in arrival order.
    var requestLines: [String] { state.lines.withLock { $0 } }

    /// With `acceptAfter`, the listener's queue holds one connection, filled here, and nothing is accepted for that
    /// long: a server too busy to accept, whose kernel drops further SYNs until the client retries.
    init(answerBeforeBody: Bool = false, acceptAfter: Double? = nil) throws {
        let state = self.state
        channel = try ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: Int32(acceptAfter == nil ? 1024 : 0))
            .serverChannelOption(.autoRead, value: acceptAfter == nil)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { ch in
                ch.eventLoop.makeCompletedFuture { try ch.pipeline.syncOperations.addHandler(Handler(state: state, answerBeforeBody: answerBeforeBody)) }
            }
            .bind(host: "127.0.0.1", port: 0).wait()
        if let acceptAfter {
            filler = try ClientBootstrap(group: group).connect(host: "127.0.0.1", port: channel.localAddress!.port!).wait()
            let channel = self.channel
            channel.eventLoop.scheduleTask(in: .nanoseconds(Int64(acceptAfter * 1e9))) {
                channel.setOption(.autoRead, value: true).whenFailure { _ in }
            }
        } else {
            filler = nil
        }
    }

    /// Holds every response, including ones already waiting, until `seconds` from now.
    func pause(seconds: Double) {
        state.m.withLock { $0.pausedUntil = .now() + .nanoseconds(Int64(seconds * 1e9)) }
    }

    func shutdown() {
        try? filler?.close().wait()
        try? channel.close().wait()
        try? group.syncShutdownGracefully()
    }

    final class Handler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let state: ServerState
        let answerBeforeBody: Bool
        var pending = ByteBuffer()
        /// Body bytes still to discard, when answering before the body.
        var skip = 0
        init(state: ServerState, answerBeforeBody: Bool) {
            self.state = state
            self.answerBeforeBody = answerBeforeBody
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var buf = unwrapInboundIn(data)
            pending.writeBuffer(&buf)
            while true {
                let n = min(skip, pending.readableBytes)
                pending.moveReaderIndex(forwardBy: n)
                skip -= n
                guard skip == 0, let end = pending.readableBytesView.firstRange(of: Array("\r\n\r\n".utf8)) else { break }
                let headLength = end.upperBound - pending.readerIndex
                let head = pending.getString(at: pending.readerIndex, length: headLength) ?? ""
                let bodyLength = head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
                    .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
                if answerBeforeBody {
                    pending.moveReaderIndex(forwardBy: headLength)
                    skip = bodyLength
                } else {
                    guard pending.readableBytes >= headLength + bodyLength else { break }
                    pending.moveReaderIndex(forwardBy: headLength + bodyLength)
                }
                let (count, until) = state.m.withLock { s -> (Int, NIODeadline) in s.requests += 1; return (s.requests, s.pausedUntil) }
                state.arrivals.withLock { $0.append(NIODeadline.now().uptimeNanoseconds) }
                state.lines.withLock { $0.append(String(head.split(separator: "\r\n").first ?? "")) }
                let body = "{\"n\":\"\(count)\"}"
                let response = ByteBuffer(string: "HTTP/1.1 200 OK\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body)
                let ctx = NIOLoopBound(context, eventLoop: context.eventLoop)
                if until > .now() {
                    context.eventLoop.scheduleTask(deadline: until) { ctx.value.writeAndFlush(NIOAny(response), promise: nil) }
                } else {
                    context.writeAndFlush(wrapOutboundOut(response), promise: nil)
                }
            }
            pending.discardReadBytes()
        }
    }
}

final class ServerState: Sendable {
    let m = Mutex<(requests: Int, pausedUntil: NIODeadline)>((0, .uptimeNanoseconds(0)))
    let arrivals = Mutex<[UInt64]>([])
    let lines = Mutex<[String]>([])
}
