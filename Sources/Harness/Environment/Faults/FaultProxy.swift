import Foundation
import NIOCore
import NIOPosix
import Synchronization
import Harness

/// A TCP proxy on loopback in front of one server (PostgreSQL, Redis) that delays, holds or resets what passes,
/// as Toxiproxy does: the network between campaignd and a dependency, made faulty on purpose and on this machine.
///
/// Bytes are never lost or reordered: TCP would retransmit a dropped packet, so a partition (`hold`) delays
/// everything until it heals, packet loss (`loss`) delays a chunk by the retransmissions it needs, and a
/// client's own timeouts decide what fails meanwhile.
public final class FaultProxy: Sendable {
    public enum Mode: Sendable, Equatable {
        case clean
        /// Each chunk leaves this many milliseconds after it arrived, in order, both ways.
        case latency(ms: Double)
        /// Nothing passes until the mode changes (a partition); what arrived meanwhile then goes, in order.
        case hold
        /// Each chunk is lost with this probability, and each time goes again after Linux's retransmission
        /// timeout (200 ms at least, doubling); later chunks wait behind it, as TCP's head-of-line blocking does.
        case loss(rate: Double)
    }

    /// The delay `tries` losses in a row add before a chunk arrives: 200, 400, 800 ms... summed.
    static func retransmissionDelay(losses: Int) -> Double { (0..<losses).reduce(0) { $0 + 200 * pow(2, Double($1)) } }

    /// Losses in a row for one chunk, drawn with `rate`; capped at 6 (12.6 s late), beyond every client's timeout.
    static func losses(rate: Double, draw: () -> Double = { Double.random(in: 0..<1) }) -> Int {
        var n = 0
        while n < 6 && draw() < rate { n += 1 }
        return n
    }

    public let port: Int
    public let upstreamPort: Int
    private let group: MultiThreadedEventLoopGroup
    private let listener: Mutex<Channel?> = Mutex(nil)
    private let state = Mutex(State())

    struct State {
        var mode = Mode.clean
        var pipes: [ObjectIdentifier: ProxyPipe] = [:]
    }

    /// Listens on a free loopback port and forwards each connection to `upstreamPort` on loopback.
    public init(upstreamPort: Int) throws {
        self.upstreamPort = upstreamPort
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let box = ProxyBox()
        do {
            let ch = try ServerBootstrap(group: group)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                .childChannelOption(.autoRead, value: false)
                .childChannelInitializer { inbound in
                    inbound.eventLoop.makeCompletedFuture { box.proxy!.accept(inbound) }
                }
                .bind(host: "127.0.0.1", port: 0).wait()
            port = ch.localAddress?.port ?? 0
            listener.withLock { $0 = ch }
        } catch {
            try? group.syncShutdownGracefully()
            throw StackError("cannot bind a fault proxy for port \(upstreamPort): \(error)")
        }
        box.proxy = self
    }

    public var mode: Mode {
        get { state.withLock { $0.mode } }
        set {
            let pipes = state.withLock { s -> [ProxyPipe] in s.mode = newValue; return Array(s.pipes.values) }
            for p in pipes { p.modeChanged() }  // held chunks go now, or on the new schedule
        }
    }

    /// Resets every open connection (TCP RST): each client sees its connection broken, as after a network fault.
    public func resetAll() {
        for p in state.withLock({ Array($0.pipes.values) }) { p.reset() }
    }

    /// Connections open now.
    public var connections: Int { state.withLock { $0.pipes.count } }

    public func stop() {
        try? listener.withLock { $0 }?.close().wait()
        for p in state.withLock({ Array($0.pipes.values) }) { p.reset() }
        try? group.syncShutdownGracefully()
    }

    private func accept(_ inbound: Channel) {
        let pipe = ProxyPipe(proxy: self, inbound: inbound)
        state.withLock { $0.pipes[ObjectIdentifier(pipe)] = pipe }
        ClientBootstrap(group: inbound.eventLoop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelOption(.autoRead, value: false)
            .connect(host: "127.0.0.1", port: upstreamPort)
            .whenComplete { result in
                switch result {
                case .success(let outbound): pipe.connected(outbound)
                case .failure: pipe.reset()  // the server is down: the client sees its connection refused, late
                }
            }
    }

    func closed(_ pipe: ProxyPipe) { _ = state.withLock { $0.pipes.removeValue(forKey: ObjectIdentifier(pipe)) } }
}

/// One proxied connection: two channels on one event loop and what waits to go each way.
final class ProxyPipe: @unchecked Sendable {
    // Touched only on `loop`, except `proxy` and `loop` themselves, which never change. The proxy holds the pipe
    // until it finishes, and the pipe the proxy: the cycle ends with `finish`.
    private let proxy: FaultProxy
    let loop: EventLoop
    private let inbound: Channel
    private var outbound: Channel?
    private var pending: [Direction: [(due: NIODeadline, data: ByteBuffer)]] = [.up: [], .down: []]
    private var timers: [Direction: Scheduled<Void>] = [:]
    private var done = false

    enum Direction { case up, down }

    init(proxy: FaultProxy, inbound: Channel) {
        self.proxy = proxy
        self.inbound = inbound
        loop = inbound.eventLoop
    }

    func connected(_ out: Channel) {
        outbound = out
        do {
            try inbound.pipeline.syncOperations.addHandler(Forwarder(pipe: self, direction: .up))
            try out.pipeline.syncOperations.addHandler(Forwarder(pipe: self, direction: .down))
        } catch {
            reset()
            return
        }
        inbound.read()
        out.read()
    }

    /// A chunk read from one side, for the other.
    func received(_ data: ByteBuffer, _ d: Direction) {
        let due: NIODeadline
        switch proxy.mode {
        case .clean: due = .now()
        case .latency(let ms): due = .now() + .microseconds(Int64(ms * 1000))
        case .hold: due = .distantFuture
        case .loss(let rate):
            due = .now() + .microseconds(Int64(FaultProxy.retransmissionDelay(losses: FaultProxy.losses(rate: rate)) * 1000))
        }
        // Never before an earlier chunk: order is the stream's meaning.
        let after = pending[d]!.last?.due ?? .uptimeNanoseconds(0)
        pending[d]!.append((max(due, after), data))
        flush(d)
    }

    func modeChanged() {
        loop.execute { [self] in
            guard !done else { return }
            let now = NIODeadline.now()
            for d in [Direction.up, .down] {
                // Held chunks go now (or after the new latency); chunks already scheduled keep their time.
                let retimed: NIODeadline
                switch proxy.mode {
                case .clean, .loss: retimed = now
                case .latency(let ms): retimed = now + .microseconds(Int64(ms * 1000))
                case .hold: continue
                }
                pending[d] = pending[d]!.map { ($0.due == .distantFuture ? retimed : $0.due, $0.data) }
                flush(d)
            }
        }
    }

    private func flush(_ d: Direction) {
        guard !done, let target = d == .up ? outbound : inbound else { return }
        let now = NIODeadline.now()
        var wrote = false
        while let first = pending[d]!.first, first.due <= now {
            target.write(first.data, promise: nil)
            pending[d]!.removeFirst()
            wrote = true
        }
        if wrote { target.flush() }
        timers[d]?.cancel()
        timers[d] = nil
        if let next = pending[d]!.first?.due, next != .distantFuture {
            timers[d] = loop.scheduleTask(deadline: next) { [self] in flush(d) }
        }
    }

    /// Closes both sides with RST.
    func reset() {
        loop.execute { [self] in
            for ch in [inbound, outbound].compactMap({ $0 }) {
                // SO_LINGER 0: close sends RST, as a broken network path would look to the peer.
                _ = (ch as? SocketOptionProvider)?.setSoLinger(linger(l_onoff: 1, l_linger: 0))
                ch.close(promise: nil)
            }
            finish()
        }
    }

    /// One side closed: close the other once what waits for it has gone (a server's last reply still arrives).
    func closed(_ d: Direction) {
        guard !done else { return }
        let other = d == .up ? outbound : inbound
        if pending[d]!.isEmpty {
            other?.close(promise: nil)
            finish()
        } else {
            timers[d]?.cancel()
            let last = pending[d]!.last!.due
            if last == .distantFuture { other?.close(promise: nil); finish(); return }
            loop.scheduleTask(deadline: last) { [self] in flush(d); other?.close(promise: nil); finish() }
        }
    }

    private func finish() {
        guard !done else { return }
        done = true
        for t in timers.values { t.cancel() }
        timers = [:]
        pending = [.up: [], .down: []]
        proxy.closed(self)
    }

    /// Reads from its channel and hands each chunk to the pipe; asks for more only once handed over.
    final class Forwarder: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        let pipe: ProxyPipe
        let direction: Direction
        init(pipe: ProxyPipe, direction: Direction) {
            self.pipe = pipe
            self.direction = direction
        }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) { pipe.received(unwrapInboundIn(data), direction) }
        func channelReadComplete(context: ChannelHandlerContext) { context.read() }
        func channelInactive(context: ChannelHandlerContext) { pipe.closed(direction) }
        func errorCaught(context: ChannelHandlerContext, error: Error) { context.close(promise: nil) }
    }
}

/// Lets the child initializer reach the proxy it belongs to before `init` has finished.
private final class ProxyBox: @unchecked Sendable {
    var proxy: FaultProxy?
}
