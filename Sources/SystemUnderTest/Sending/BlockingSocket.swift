import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A TCP connection for a sender thread, which may block on it (never an event loop's thread). Every wait is
/// bounded: the connect by `connectTimeout`, each read and write by `ioTimeout`.
final class BlockingSocket {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    private let fd: Int32
    private var chunk = [UInt8](repeating: 0, count: 16_384)

    init(host: String, port: Int, connectTimeout: Double, ioTimeout: Double) throws {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var found: UnsafeMutablePointer<addrinfo>? = nil
        let rc = getaddrinfo(host, String(port), &hints, &found)
        guard rc == 0, let first = found else { throw Failure(description: "cannot resolve \(host): \(String(cString: gai_strerror(rc)))") }
        defer { freeaddrinfo(found) }
        var lastError = "no address for \(host)"
        var addr: UnsafeMutablePointer<addrinfo>? = first
        while let a = addr {
            addr = a.pointee.ai_next
            let s = socket(a.pointee.ai_family, a.pointee.ai_socktype, a.pointee.ai_protocol)
            guard s >= 0 else { lastError = "socket: \(String(cString: strerror(errno)))"; continue }
            if let e = Self.connect(s, a.pointee.ai_addr, a.pointee.ai_addrlen, timeout: connectTimeout) {
                close(s)
                lastError = "connect to \(host):\(port): \(e)"
                continue
            }
            var one: Int32 = 1
            setsockopt(s, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            var tv = timeval(tv_sec: Int(ioTimeout), tv_usec: Int((ioTimeout - ioTimeout.rounded(.down)) * 1e6))
            setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
            fd = s
            return
        }
        throw Failure(description: lastError)
    }

    deinit { close(fd) }

    /// A non-blocking connect waited for with poll, so an unreachable host costs `timeout`, not the kernel's
    /// SYN retries (two minutes); the socket is blocking again afterwards. Nil when connected, else why not.
    private static func connect(_ s: Int32, _ addr: UnsafeMutablePointer<sockaddr>, _ len: socklen_t, timeout: Double) -> String? {
        let flags = fcntl(s, F_GETFL)
        _ = fcntl(s, F_SETFL, flags | O_NONBLOCK)
        defer { _ = fcntl(s, F_SETFL, flags) }
        if Glibc.connect(s, addr, len) == 0 { return nil }
        guard errno == EINPROGRESS else { return String(cString: strerror(errno)) }
        var p = pollfd(fd: s, events: Int16(POLLOUT), revents: 0)
        let ready = poll(&p, 1, Int32(timeout * 1000))
        if ready == 0 { return "timed out after \(timeout) s" }
        var err: Int32 = 0
        var errLen = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &errLen)
        return ready < 0 ? String(cString: strerror(errno)) : err == 0 ? nil : String(cString: strerror(err))
    }

    /// Writes all of `bytes`.
    func send(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw Failure(description: n < 0 && errno == EAGAIN ? "write timed out" : "write: \(String(cString: strerror(errno)))") }
            sent += n
        }
    }

    /// Waits for bytes and hands what arrived (at least one byte) to `take`.
    func receive(_ take: (UnsafeRawBufferPointer) -> Void) throws {
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
            if n < 0 && errno == EINTR { continue }
            if n == 0 { throw Failure(description: "connection closed by the server") }
            guard n > 0 else { throw Failure(description: errno == EAGAIN ? "read timed out" : "read: \(String(cString: strerror(errno)))") }
            chunk.withUnsafeBytes { take(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            return
        }
    }
}
