import NIOCore
import Testing
@testable import Harness

@Suite struct HTTPResponseParserTests {
    func parseAll(_ text: String, chunkSize: Int = .max, capture: Bool = false) -> [HTTPResponseParser.Outcome] {
        var p = HTTPResponseParser()
        p.captureBody = capture
        var out: [HTTPResponseParser.Outcome] = []
        let bytes = Array(text.utf8)
        var i = 0
        while i < bytes.count {
            var buf = ByteBuffer(bytes: bytes[i..<min(bytes.count, i + chunkSize)])
            i += chunkSize
            while buf.readableBytes > 0 {
                let o = p.parse(&buf)
                if o != .needMoreData { out.append(o) }
                if case .invalid = o { return out }
            }
        }
        let closed = p.connectionClosed()
        if closed != .needMoreData { out.append(closed) }
        return out
    }

    static let two = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello" +
        "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n"

    @Test func framesByContentLength() {
        let out = parseAll(Self.two)
        #expect(out == [.response(status: 200, body: nil, keepAlive: true), .response(status: 404, body: nil, keepAlive: true)])
    }

    @Test(arguments: [1, 2, 3, 7, 16])
    func framesAcrossArbitrarySplits(chunk: Int) {
        let out = parseAll(Self.two, chunkSize: chunk, capture: true)
        #expect(out == [.response(status: 200, body: ByteBuffer(string: "hello"), keepAlive: true),
                        .response(status: 404, body: nil, keepAlive: true)])
    }

    /// Every split point of a response, in the head or the body, leaves the parser partway; only the end does not.
    @Test func knowsWhenItIsPartwayThroughAResponse() {
        let bytes = Array("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello".utf8)
        for cut in 1..<bytes.count {
            var p = HTTPResponseParser()
            var head = ByteBuffer(bytes: bytes[..<cut])
            #expect(p.parse(&head) == .needMoreData)
            #expect(p.midResponse, "cut at \(cut)")
            var rest = ByteBuffer(bytes: bytes[cut...])
            #expect(p.parse(&rest) == .response(status: 200, body: nil, keepAlive: true))
            #expect(!p.midResponse)
        }
    }

    @Test(arguments: [1, 5, 1000])
    func framesChunkedBodies(chunk: Int) {
        let text = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n6;ext=1\r\npedia \r\n0\r\nX-Trailer: 1\r\n\r\n" +
            "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok"
        let out = parseAll(text, chunkSize: chunk, capture: true)
        #expect(out == [.response(status: 200, body: ByteBuffer(string: "Wikipedia "), keepAlive: true),
                        .response(status: 201, body: ByteBuffer(string: "ok"), keepAlive: true)])
    }

    /// Header names match in any case, and a line that starts like a framing header but is another is skipped.
    @Test func headersMatchInAnyCase() {
        var p = HTTPResponseParser()
        p.captureBody = true
        p.captureServerTiming = true
        var buf = ByteBuffer(string: "HTTP/1.0 200 OK\r\nCONTENT-TYPE: text/plain\r\nCONNECTION: Keep-Alive\r\nSERVER: x\r\n" +
            "SERVER-TIMING: db;dur=1.5, render;dur=0.25\r\nCONTENT-LENGTH: 3\r\nTRANSFER-ENCODING: identity\r\n\r\nabc")
        #expect(p.parse(&buf) == .response(status: 200, body: ByteBuffer(string: "abc"), keepAlive: true))
        #expect(p.serverTiming == ServerStages(db: 1_500_000, cache: 0, wait: 0, render: 250_000))
    }

    @Test func bodyUntilCloseAndConnectionClose() {
        #expect(parseAll("HTTP/1.1 200 OK\r\n\r\nstream") == [.response(status: 200, body: nil, keepAlive: false)])
        #expect(parseAll("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n") == [.response(status: 200, body: nil, keepAlive: false)])
        #expect(parseAll("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n") == [.response(status: 200, body: nil, keepAlive: false)])
    }

    @Test func noBodyStatusesIgnoreHeaders() {
        #expect(parseAll("HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n") == [.response(status: 204, body: nil, keepAlive: true)])
    }

    /// Interim responses come before the final one and do not answer the request; read as final, a 103 would fail
    /// the request and leave the real answer arriving on a connection with nothing in flight.
    @Test(arguments: [1, 3, 7, 1000])
    func interimResponsesPrecedeTheFinalOne(chunk: Int) {
        let text = "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\nHTTP/1.1 100 Continue\r\n\r\n" +
            "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
        #expect(parseAll(text, chunkSize: chunk, capture: true) == [.response(status: 200, body: ByteBuffer(string: "ok"), keepAlive: true)])
        #expect(parseAll("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n", chunkSize: chunk)
            == [.response(status: 101, body: nil, keepAlive: true)])
    }

    @Test func rejectsGarbageAndTruncation() {
        guard case .invalid = parseAll("SSH-2.0-OpenSSH\r\n\r\n").first else { Issue.record("garbage accepted"); return }
        guard case .invalid = parseAll("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc").first else { Issue.record("truncation accepted"); return }
    }
}
