import NIOCore

/// One keep-alive connection of the load engine, carrying one request at a time (as wrk does).
///
/// Confined to the engine's event loop: every access happens there, so it needs no lock.
final class ClientConnection: @unchecked Sendable {
    /// The index of the target it is connected to.
    let target: Int
    var channel: Channel?
    var context: ChannelHandlerContext?
    var parser = HTTPResponseParser()
    var state: ConnectionStateMachine

    /// A connection opened for `request`, which it writes once connected.
    init(for request: InFlightRequest) {
        target = request.iteration.target
        state = ConnectionStateMachine(connectingFor: request)
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
