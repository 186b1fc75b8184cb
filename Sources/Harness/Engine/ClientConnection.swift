import Glibc
import NIOCore

/// One keep-alive connection of the load engine, carrying one request at a time (as wrk does).
///
/// Confined to the engine's event loop: every access happens there, so it needs no lock.
final class ClientConnection: @unchecked Sendable {
    /// The index of the target it is connected to.
    let target: Int
    private(set) var channel: Channel?
    var context: ChannelHandlerContext?
    var parser = HTTPResponseParser()
    var state: ConnectionStateMachine
    /// The socket, read once when connected: asking NIO for it costs a runtime cast each time. Used only while
    /// the channel is active, since NIO closes it (and the number may be reused) only on this loop.
    private(set) var socket: NIOBSDSocket.Handle?
    /// Writes handed to NIO and not yet flushed: while any is, later requests queue behind them there.
    private var queuedInNIO = 0

    /// A connection opened for `request`, which it writes once connected.
    init(for request: InFlightRequest) {
        target = request.iteration.target
        state = ConnectionStateMachine(connectingFor: request)
    }

    /// The channel connected: keeps its socket for `send`.
    func connected(_ channel: Channel) {
        self.channel = channel
        socket = try? channel.pipeline.syncOperations.withUnsafeTransportIfAvailable(of: NIOBSDSocket.Handle.self) { $0 }
    }

    /// Sends a request. NIO's write path (pipeline, pending-writes queue, flush) cost about as much user CPU as
    /// the rest of a request at 10k req/s; with one request at a time the socket's send buffer is empty, so one
    /// send(2) takes it whole. What the socket does not take (or an error) goes NIO's way, which reports failures
    /// as before, and later requests follow it there until it is flushed, to keep the bytes in order. Bypassing the
    /// pipeline is sound only while it has no outbound handler: plain HTTP (TargetAddress refuses https).
    func send(_ bytes: ByteBuffer) {
        var rest = bytes
        if queuedInNIO == 0, let fd = socket, channel?.isActive == true {
            let n = rest.withUnsafeReadableBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n > 0 { rest.moveReaderIndex(forwardBy: n) }
            if rest.readableBytes == 0 { return }
        }
        queuedInNIO += 1
        let flushed = context!.eventLoop.makePromise(of: Void.self)
        flushed.futureResult.whenComplete { _ in self.queuedInNIO -= 1 }
        context!.writeAndFlush(NIOAny(rest), promise: flushed)
    }
}

/// A request written (or about to be) on a connection.
struct InFlightRequest {
    let iteration: Iteration
    /// When the request was due (monotonic ns): latency is measured from here.
    let dueNanos: UInt64
    /// When it was handed to the socket.
    var sentNanos: UInt64
}

/// Feeds bytes from the socket to the connection's parser and reports complete responses to the engine.
final class ClientConnectionHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let connection: ClientConnection
    unowned let engine: LoadEngineShard

    init(connection: ClientConnection, engine: LoadEngineShard) {
        self.connection = connection
        self.engine = engine
    }

    func handlerAdded(context: ChannelHandlerContext) {
        connection.context = context
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        while buffer.readableBytes > 0 {
            switch connection.parser.parse(&buffer) {
            case .needMoreData:
                return
            case .response(let status, let body, let keepAlive):
                engine.responseReceived(on: connection, status: status, body: body, keepAlive: keepAlive)
            case .invalid:
                engine.transportFailed(on: connection, as: .protocolError)
                return
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if case .response(let status, let body, _) = connection.parser.connectionClosed() {
            engine.responseReceived(on: connection, status: status, body: body, keepAlive: false)
        }
        engine.connectionClosed(connection)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        engine.transportFailed(on: connection, as: .reset)
    }
}
