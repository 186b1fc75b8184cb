import Foundation
#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOPosix
import Testing
@testable import Harness
@testable import Environment

/// The fault proxy between a real client socket and a real echo server on loopback.
@Suite struct FaultProxyTests {
    /// Echoes every byte back.
    final class EchoServer: Sendable {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let channel: Channel
        var port: Int { channel.localAddress!.port! }
        init() throws {
            channel = try ServerBootstrap(group: group)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { ch in ch.eventLoop.makeCompletedFuture { try ch.pipeline.syncOperations.addHandler(Echo()) } }
                .bind(host: "127.0.0.1", port: 0).wait()
        }
        func shutdown() { try? channel.close().wait(); try? group.syncShutdownGracefully() }
        final class Echo: ChannelInboundHandler, @unchecked Sendable {
            typealias InboundIn = ByteBuffer
            func channelRead(context: ChannelHandlerContext, data: NIOAny) { context.writeAndFlush(data, promise: nil) }
        }
    }

    /// A blocking client socket with a receive timeout.
    final class Client {
        let fd: Int32
        init(port: Int, timeout: Double = 5) throws {
            fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_port = in_port_t(UInt16(port).bigEndian)
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            guard rc == 0 else { throw StackError("connect failed: errno \(errno)") }
            var tv = timeval(tv_sec: Int(timeout), tv_usec: Int(timeout.truncatingRemainder(dividingBy: 1) * 1e6))
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        }
        deinit { close(fd) }
        func send(_ s: String) { _ = s.withCString { Glibc.send(fd, $0, strlen($0), 0) } }
        /// Reads until `count` bytes arrived; what arrived when the timeout or an error came first, and the errno.
        func receive(_ count: Int) -> (String, Int32) {
            var out = [UInt8]()
            var buf = [UInt8](repeating: 0, count: 4096)
            while out.count < count {
                let n = recv(fd, &buf, buf.count, 0)
                if n <= 0 { return (String(decoding: out, as: UTF8.self), n == 0 ? 0 : errno) }
                out += buf[0..<n]
            }
            return (String(decoding: out, as: UTF8.self), 0)
        }
    }

    static func elapsed(_ body: () -> Void) -> Double {
        let t = ContinuousClock.now
        body()
        let d = ContinuousClock.now - t
        return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    @Test func cleanLatencyHoldAndResetEachDoWhatTheySay() throws {
        let echo = try EchoServer()
        defer { echo.shutdown() }
        let proxy = try FaultProxy(upstreamPort: echo.port)
        defer { proxy.stop() }
        let c = try Client(port: proxy.port)
        c.send("hello")
        #expect(c.receive(5).0 == "hello")

        // 100 ms each way: a round trip can never be shorter than 200 ms (a lower bound, true on any machine).
        proxy.mode = .latency(ms: 100)
        var got = ""
        let rtt = Self.elapsed { c.send("slow"); got = c.receive(4).0 }
        #expect(got == "slow" && rtt >= 0.2, "\(rtt) s")

        // A partition holds everything, in order, and lets it go when it heals.
        proxy.mode = .hold
        c.send("one,")
        c.send("two")
        let quiet = try Client(port: proxy.port, timeout: 0.3)
        quiet.send("x")
        #expect(quiet.receive(1).0 == "", "nothing passes a partition")
        proxy.mode = .clean
        #expect(c.receive(7).0 == "one,two")
        #expect(quiet.receive(1).0 == "x")

        // A reset breaks every connection the proxy holds.
        #expect(proxy.connections == 2)
        proxy.resetAll()
        let (after, err) = c.receive(1)
        #expect(after == "" && (err == ECONNRESET || err == 0), "errno \(err)")
        let fresh = try Client(port: proxy.port)
        fresh.send("again")
        #expect(fresh.receive(5).0 == "again")
    }

    /// Loss as TCP shows it to the application: nothing missing or out of order, and a lost chunk late by its
    /// retransmission timeouts (200 ms, then 400, 800...), which later chunks wait behind.
    @Test func lossDelaysByRetransmissionsAndLosesNothing() async throws {
        #expect(FaultProxy.retransmissionDelay(losses: 0) == 0 && FaultProxy.retransmissionDelay(losses: 3) == 1400)
        var draws = [0.01, 0.02, 0.9][...]
        #expect(FaultProxy.losses(rate: 0.05) { draws.popFirst()! } == 2)
        #expect(FaultProxy.losses(rate: 0.999) { 0 } == 6, "TCP gives up; so does the model")

        let words = (0..<50).map { "w\($0)," }
        // About 40 s of blocking reads, on a thread of their own: on one of Swift's 2 pool threads they held back
        // every other unit test (the unit phase took 60 s with them there, 45 s without this test).
        let (replies, slowest, stream) = try await Stack.blocking {
            let echo = try EchoServer()
            defer { echo.shutdown() }
            let proxy = try FaultProxy(upstreamPort: echo.port)
            defer { proxy.stop() }
            let c = try Client(port: proxy.port, timeout: 30)
            proxy.mode = .loss(rate: 0.5)
            // 20 round trips, 40 chunks: that none is lost has odds of 1 in 10^12; a lost one is 200 ms late at least.
            var replies: [String] = [], slowest = 0.0
            for i in 0..<20 {
                slowest = max(slowest, Self.elapsed { c.send("r\(i % 10)"); replies.append(c.receive(2).0) })
            }
            for w in words { c.send(w) }
            return (replies, slowest, c.receive(words.joined().utf8.count).0)
        }
        #expect(replies == (0..<20).map { "r\($0 % 10)" })
        #expect(slowest >= 0.2, "\(slowest) s")
        #expect(stream == words.joined(), "every byte, in order")
    }
}
