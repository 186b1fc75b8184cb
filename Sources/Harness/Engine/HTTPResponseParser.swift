import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// Frames HTTP/1.1 responses straight from the socket's bytes without building strings or header dictionaries.
///
/// A probe on this machine (shared/NOTES.md) measured NIOHTTP1's client codec at 1.6x wrk's CPU per request,
/// and a framer that built a String per response at 2x; scanning bytes for the blank line and the few headers
/// that decide framing matched wrk. Only the status, the framing and (when asked) the body are kept.
public struct HTTPResponseParser {
    /// What one call to `parse` found.
    public enum Outcome: Equatable {
        case needMoreData
        case response(status: Int, body: ByteBuffer?, keepAlive: Bool)
        case invalid(String)
    }

    enum State: Equatable {
        case head
        case fixedBody(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers
        case untilClose
    }

    var state = State.head
    /// Bytes of an incomplete head or chunk-size line carried between reads.
    var partial = ByteBuffer()
    var status = 0
    var keepAlive = true
    var body: ByteBuffer?
    /// Keep the body of the next response (for steps that extract variables).
    public var captureBody = false
    /// A HEAD request's response has no body whatever its headers say.
    public var expectNoBody = false
    /// Read the Server-Timing header (db, cache, wait, render) of each response into `serverTiming`.
    public var captureServerTiming = false
    /// The last response's Server-Timing stages in nanoseconds, when captured.
    public private(set) var serverTiming: ServerStages?

    public init() {}

    /// Consumes bytes from `buffer` until one response completes or the bytes run out.
    public mutating func parse(_ buffer: inout ByteBuffer) -> Outcome {
        while true {
            switch state {
            case .head:
                guard let outcome = parseHead(&buffer) else { return .needMoreData }
                if case .invalid = outcome { return outcome }
            case .fixedBody(let remaining):
                let n = min(remaining, buffer.readableBytes)
                take(n, from: &buffer)
                if remaining - n == 0 { return finish() }
                state = .fixedBody(remaining: remaining - n)
                return .needMoreData
            case .chunkSize:
                guard let line = readLine(&buffer) else { return .needMoreData }
                guard let size = Self.hexPrefix(line) else { return .invalid("bad chunk size") }
                state = size == 0 ? .trailers : .chunkData(remaining: size)
            case .chunkData(let remaining):
                let n = min(remaining, buffer.readableBytes)
                take(n, from: &buffer)
                if remaining - n > 0 { state = .chunkData(remaining: remaining - n); return .needMoreData }
                state = .chunkDataEnd
            case .chunkDataEnd:
                guard readLine(&buffer) != nil else { return .needMoreData }
                state = .chunkSize
            case .trailers:
                guard let line = readLine(&buffer) else { return .needMoreData }
                if line.isEmpty { return finish() }
            case .untilClose:
                take(buffer.readableBytes, from: &buffer)
                return .needMoreData
            }
        }
    }

    /// Part of a response has been read and the rest has not.
    public var midResponse: Bool { state != .head || partial.readableBytes > 0 }

    /// The connection closed: completes a response framed by close, anything else is cut short.
    public mutating func connectionClosed() -> Outcome {
        if state == .untilClose { keepAlive = false; return finish() }
        if !midResponse { return .needMoreData }
        return .invalid("connection closed mid-response")
    }

    private mutating func finish() -> Outcome {
        let out = Outcome.response(status: status, body: body, keepAlive: keepAlive)
        state = .head
        body = nil
        return out
    }

    private mutating func take(_ n: Int, from buffer: inout ByteBuffer) {
        guard n > 0 else { return }
        if captureBody, var slice = buffer.readSlice(length: n) {
            if body == nil { body = slice } else { body!.writeBuffer(&slice) }
        } else {
            buffer.moveReaderIndex(forwardBy: n)
        }
    }

    /// Returns nil when the head is incomplete (its bytes kept in `partial`).
    private mutating func parseHead(_ buffer: inout ByteBuffer) -> Outcome? {
        if partial.readableBytes > 0 {
            partial.writeBuffer(&buffer)
            swap(&partial, &buffer)
            partial.clear()
        }
        let timing = captureServerTiming
        guard let head = buffer.withUnsafeReadableBytes({ Head.scan($0, serverTiming: timing) }) else {
            if buffer.readableBytes > 64 * 1024 { return .invalid("response head over 64 KiB") }
            partial.writeBuffer(&buffer)
            return nil
        }
        buffer.moveReaderIndex(forwardBy: head.length)
        if let problem = head.invalid { return .invalid(problem) }
        // An interim response (100 Continue, 103 Early Hints) comes before the final one, which answers the request
        // (RFC 9110 15.2); 101 ends HTTP/1.1 on the connection, so it is final here.
        if (100..<200).contains(head.status), head.status != 101 { return .needMoreData }
        status = head.status
        keepAlive = head.keepAlive
        serverTiming = head.serverTiming
        body = nil
        if expectNoBody || status == 204 || status == 304 || status == 101 {
            state = .fixedBody(remaining: 0)
        } else if head.chunked {
            state = .chunkSize
        } else if let n = head.contentLength {
            state = .fixedBody(remaining: n)
        } else {
            state = .untilClose
            keepAlive = false
        }
        return .needMoreData
    }

    /// What a response head says about the status and the framing of its body.
    struct Head {
        /// The head's bytes, up to and including the blank line.
        var length = 0
        var status = 0
        var keepAlive = true
        var contentLength: Int?
        var chunked = false
        var serverTiming: ServerStages?
        var invalid: String?

        typealias Line = UnsafeBufferPointer<UInt8>

        /// One pass over the head's lines, memchr finding each LF: nil until the blank line that ends it arrives.
        /// Raw pointers, since indexing a slice checks bounds on every byte, and the head was the largest part
        /// of the generator's own instructions per response.
        static func scan(_ raw: UnsafeRawBufferPointer, serverTiming: Bool) -> Head? {
            guard let base = raw.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return nil }
            var head = Head()
            var i = 0
            var first = true
            while i < raw.count, let hit = memchr(base + i, 10, raw.count - i) {
                let lf = UnsafeRawPointer(base).distance(to: UnsafeRawPointer(hit))
                let end = lf > i && base[lf - 1] == 13 ? lf - 1 : lf
                let line = Line(start: base + i, count: end - i)
                i = lf + 1
                if first {
                    first = false
                    head.statusLine(line)
                } else if line.isEmpty {
                    head.length = i
                    return head
                } else if head.invalid == nil {
                    head.header(line, serverTiming: serverTiming)
                }
            }
            return nil
        }

        mutating func statusLine(_ line: Line) {
            guard line.count >= 12, line[0] == UInt8(ascii: "H"), line[8] == UInt8(ascii: " ") else {
                invalid = "not an HTTP/1.x status line"
                return
            }
            for k in 9..<12 {
                let d = Int(line[k]) - 48
                guard (0...9).contains(d) else { invalid = "bad status code"; return }
                status = status * 10 + d
            }
            keepAlive = line[7] == UInt8(ascii: "1")  // HTTP/1.1 defaults to keep-alive
        }

        /// Dispatches on the first letter: most lines (Server, Date, Content-Type) match no header that decides
        /// framing, and one byte rules them out.
        mutating func header(_ line: Line, serverTiming: Bool) {
            switch line[0] | 0x20 {
            case UInt8(ascii: "c"):
                if let value = Self.value(line, of: "content-length:") {
                    contentLength = Self.decimal(value)
                } else if let value = Self.value(line, of: "connection:") {
                    if Self.find("close", in: value) != nil { keepAlive = false }
                    else if Self.find("keep-alive", in: value) != nil { keepAlive = true }
                }
            case UInt8(ascii: "t"):
                if let value = Self.value(line, of: "transfer-encoding:") { chunked = Self.find("chunked", in: value) != nil }
            case UInt8(ascii: "s"):
                if serverTiming, let value = Self.value(line, of: "server-timing:") {
                    self.serverTiming = ServerStages(db: Self.duration(value, "db;dur="), cache: Self.duration(value, "cache;dur="),
                                                     wait: Self.duration(value, "wait;dur="), render: Self.duration(value, "render;dur="))
                }
            default:
                break
            }
        }

        /// The line after `name` (lowercase, with its colon) when the line is that header, matched in any case.
        static func value(_ line: Line, of name: StaticString) -> Line? {
            let n = name.utf8CodeUnitCount
            guard line.count >= n else { return nil }
            let p = name.utf8Start
            for k in 0..<n where line[k] | 0x20 != p[k] | 0x20 { return nil }
            return Line(rebasing: line[n...])
        }

        /// Where `lowercased` ends in `line`, matching ASCII case-insensitively; nil if absent.
        static func find(_ lowercased: StaticString, in line: Line) -> Int? {
            let n = lowercased.utf8CodeUnitCount
            let p = lowercased.utf8Start
            var start = 0
            while start + n <= line.count {
                var k = 0
                while k < n && line[start + k] | 0x20 == p[k] | 0x20 { k += 1 }
                if k == n { return start + n }
                start += 1
            }
            return nil
        }

        /// The milliseconds after `key` (e.g. "db;dur=") in a Server-Timing line, as nanoseconds; 0 if absent.
        static func duration(_ line: Line, _ key: StaticString) -> UInt64 {
            guard var i = find(key, in: line) else { return 0 }
            var whole: UInt64 = 0, frac: UInt64 = 0, scale: UInt64 = 1_000_000, inFrac = false
            while i < line.count {
                let b = line[i]
                if b == UInt8(ascii: ".") {
                    inFrac = true
                } else if b >= 48 && b <= 57 {
                    if !inFrac { whole = whole * 10 + UInt64(b - 48) } else if scale > 1 { scale /= 10; frac += UInt64(b - 48) * scale }
                } else {
                    break
                }
                i += 1
            }
            return whole * 1_000_000 + frac
        }

        static func decimal(_ s: Line) -> Int? {
            var v = 0, seen = false
            for b in s {
                if b >= 48 && b <= 57 { v = v * 10 + Int(b - 48); seen = true }
                else if b == 32 || b == 9 || b == 13 { if seen { break } }
                else { return nil }
            }
            return seen ? v : nil
        }
    }

    /// Reads one CRLF-terminated line (without the CRLF) as bytes; nil if incomplete (kept in `partial`).
    private mutating func readLine(_ buffer: inout ByteBuffer) -> [UInt8]? {
        if partial.readableBytes > 0 {
            partial.writeBuffer(&buffer)
            swap(&partial, &buffer)
            partial.clear()
        }
        guard let end = Self.find(crlf, in: buffer) else {
            partial.writeBuffer(&buffer)
            return nil
        }
        let line = buffer.readBytes(length: end) ?? []
        buffer.moveReaderIndex(forwardBy: 2)
        return line
    }

    /// The offset of the first `needle` (a CRLF: chunk sizes and trailers) in the readable bytes: memchr finds each
    /// LF, and only the bytes ending there are compared.
    static func find(_ needle: [UInt8], in buffer: ByteBuffer) -> Int? {
        buffer.withUnsafeReadableBytes { p -> Int? in
            let n = needle.count
            guard let base = p.baseAddress, p.count >= n else { return nil }
            var from = n - 1
            while from < p.count, let hit = memchr(base + from, 10, p.count - from) {
                let end = base.distance(to: UnsafeRawPointer(hit))
                let start = end - (n - 1)
                var k = 0
                while k < n && p[start + k] == needle[k] { k += 1 }
                if k == n { return start }
                from = end + 1
            }
            return nil
        }
    }

    static func hexPrefix(_ line: [UInt8]) -> Int? {
        var v = 0, seen = false
        for b in line {
            let d: Int
            switch b {
            case 48...57: d = Int(b - 48)
            case 97...102: d = Int(b - 87)
            case 65...70: d = Int(b - 55)
            default:
                if b == 59 || b == 32 || b == 9 { return seen ? v : nil }
                return nil
            }
            v = v * 16 + d
            seen = true
        }
        return seen ? v : nil
    }
}

private let crlf: [UInt8] = [13, 10]
