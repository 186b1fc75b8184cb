import Glibc
import NIOCore

/// One keep-alive connection of the load engine, carrying one request at a time (as wrk does): its socket, the
/// parser of its responses, and its state. It reports what happens on the socket to the engine.
///
/// Confined to the engine's loop: every access happens there, so it needs no lock.
final class ClientConnection: EngineSocket {
    /// The index of the target it is connected to.
    let target: Int
    var parser = HTTPResponseParser()
    var state: ConnectionStateMachine
    unowned let engine: LoadEngineShard
    private var fd: Int32 = -1
    private var registration: EngineLoop.Registration?
    /// The connect has not finished yet.
    private(set) var connecting = true
    /// Bytes the socket did not take yet: later requests queue behind them, to keep the bytes in order.
    private var unsent: ByteBuffer?

    /// A connection opened for `request`, which it writes once connected.
    init(for request: InFlightRequest, engine: LoadEngineShard) {
        target = request.iteration.target
        state = ConnectionStateMachine(connectingFor: request)
        self.engine = engine
    }

    var isOpen: Bool { fd >= 0 }

    /// Starts a nonblocking connect; nil if it is under way, or why it failed at once.
    func connect(to address: ResolvedAddress) -> ErrorClass? {
        fd = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return .connectOther }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        if engine.stampsReads { setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, socklen_t(MemoryLayout<Int32>.size)) }
        let rc = address.withSockAddr { Glibc.connect(fd, $0, $1) }
        if rc != 0 && errno != EINPROGRESS {
            let error = errno
            close()
            return Self.classify(connectErrno: error)
        }
        // Writable when the connect finishes, either way; an immediate success reports the same way.
        registration = engine.loop.add(fd, self, writes: true)
        engine.pendingConnects += 1
        return nil
    }

    static func classify(connectErrno: Int32) -> ErrorClass {
        switch connectErrno {
        case ECONNREFUSED: .connectRefused
        case ETIMEDOUT: .connectTimeout
        default: .connectOther
        }
    }

    /// Sends a request. With one request at a time the socket's send buffer is empty, so one send(2) nearly
    /// always takes it whole; the rest waits for the socket to be writable.
    func send(_ bytes: ByteBuffer) {
        guard fd >= 0 else { return }
        if unsent != nil {
            var more = bytes
            unsent!.writeBuffer(&more)
            return
        }
        var rest = bytes
        guard sendSome(&rest) else {
            // Reported from the loop, not from inside the engine's write: a failure there starts the next request.
            engine.loop.schedule(at: 0) { [self] in if isOpen { engine.transportFailed(on: self, as: .reset) } }
            return
        }
        if rest.readableBytes == 0 { return }
        unsent = rest
        engine.loop.watchWrites(fd, registration!, true)
    }

    /// Sends what the socket takes of `bytes` and leaves the rest in it; false on an error other than a full socket.
    private func sendSome(_ bytes: inout ByteBuffer) -> Bool {
        let n = bytes.withUnsafeReadableBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        if n > 0 { bytes.moveReaderIndex(forwardBy: n) }
        return n >= 0 || errno == EAGAIN || errno == EINTR
    }

    /// Closes the socket (idempotent); nothing more is reported for it.
    func close() {
        guard fd >= 0 else { return }
        if connecting, registration != nil { connectEnded() }
        if let registration { engine.loop.remove(fd, registration) }
        Glibc.close(fd)
        fd = -1
        registration = nil
    }

    // MARK: Events from the loop

    func writable() {
        guard fd >= 0 else { return }
        if connecting {
            var error: Int32 = 0
            var len = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len)
            guard error == 0 else { return engine.connectFailed(self, as: Self.classify(connectErrno: error)) }
            connectEnded()
            engine.loop.watchWrites(fd, registration!, false)
            return engine.connected(self)
        }
        guard var rest = unsent else { return engine.loop.watchWrites(fd, registration!, false) }
        guard sendSome(&rest) else { return engine.transportFailed(on: self, as: .reset) }
        if rest.readableBytes > 0 { unsent = rest; return }
        unsent = nil
        engine.loop.watchWrites(fd, registration!, false)
    }

    func readable() {
        guard fd >= 0, !connecting else { return }
        var buffer = engine.takeReadBuffer()
        defer { engine.returnReadBuffer(buffer) }
        while fd >= 0 {
            buffer.clear()
            var got = 0
            var stamp: timespec?
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 0) { p in
                got = Self.receive(fd, into: p, stamp: &stamp)
                return max(got, 0)
            }
            if got == 0 { return peerClosed() }
            if got < 0 {
                if errno == EINTR { continue }
                if errno != EAGAIN { engine.transportFailed(on: self, as: .reset) }
                return
            }
            let arrived = Self.arrival(stamp)
            let full = buffer.readableBytes == buffer.capacity
            parsing: while fd >= 0 && buffer.readableBytes > 0 {
                switch parser.parse(&buffer) {
                case .needMoreData:
                    break parsing
                case .response(let status, let body, let keepAlive):
                    engine.responseReceived(on: self, status: status, body: body, keepAlive: keepAlive, at: arrived)
                case .invalid:
                    return engine.transportFailed(on: self, as: .protocolError)
                }
            }
            // A read that filled the buffer may have left more; otherwise the socket is drained (one read per wake).
            guard full else {
                if engine.stampsReads { engine.lateReads.read(stamped: stamp != nil, endedMidResponse: parser.midResponse) }
                return
            }
        }
    }

    private func peerClosed() {
        if case .response(let status, let body, _) = parser.connectionClosed() {
            engine.responseReceived(on: self, status: status, body: body, keepAlive: false, at: Self.arrival(nil))
        }
        engine.connectionClosed(self)
    }

    private func connectEnded() {
        connecting = false
        engine.pendingConnects -= 1
    }

    /// When bytes read now arrived (monotonic ns): the kernel's stamp (real time) moved onto the monotonic clock,
    /// or now without one.
    static func arrival(_ stamp: timespec?) -> UInt64 {
        let now = EngineLoop.now()
        guard let stamp else { return now }
        var real = timespec()
        clock_gettime(CLOCK_REALTIME, &real)
        let ago = real.nanos - stamp.nanos
        // A stamp from the future (the real clock stepped back) is taken as now.
        return ago > 0 ? now &- UInt64(ago) : now
    }

    /// Reads like read(2), and takes the kernel's receive time of the last bytes read when the socket has
    /// SO_TIMESTAMPNS (`LoadEngineShard.stampsReads`); one call for both, so there is one read path.
    static func receive(_ fd: Int32, into p: UnsafeMutableRawBufferPointer, stamp: inout timespec?) -> Int {
        withUnsafeTemporaryAllocation(byteCount: 64, alignment: 8) { control in
            var iov = iovec(iov_base: p.baseAddress, iov_len: p.count)
            return withUnsafeMutablePointer(to: &iov) { iovp in
                var msg = msghdr()
                msg.msg_iov = iovp
                msg.msg_iovlen = 1
                msg.msg_control = control.baseAddress
                msg.msg_controllen = control.count
                let n = recvmsg(fd, &msg, 0)
                // cmsghdr is (len, level, type) in 16 bytes, its data after; the next one starts at len rounded up to 8.
                var at = 0
                while n > 0, at + 16 <= msg.msg_controllen {
                    let len = control.load(fromByteOffset: at, as: Int.self)
                    let level = control.load(fromByteOffset: at + 8, as: Int32.self)
                    let type = control.load(fromByteOffset: at + 12, as: Int32.self)
                    guard len >= 16 else { break }
                    if level == SOL_SOCKET, type == SO_TIMESTAMPNS, len >= 16 + MemoryLayout<timespec>.size {
                        stamp = control.loadUnaligned(fromByteOffset: at + 16, as: timespec.self)
                    }
                    at += (len + 7) & ~7
                }
                return n
            }
        }
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
