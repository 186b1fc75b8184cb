import Foundation
import Hummingbird

extension CampaignContext {
    /// A positive integer path parameter, or 400 naming it.
    func id(_ name: String = "id") throws -> Int64 {
        guard let v = parameters.get(name, as: Int64.self), v > 0 else {
            throw APIError(.badRequest, "\(name) must be a positive integer", field: name)
        }
        return v
    }
}

extension JSON {
    /// A response whose body is already JSON text.
    static func raw(_ json: String, status: HTTPResponse.Status = .ok, cacheHit: Bool? = nil) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        if let cacheHit { headers[.init("X-Cache")!] = cacheHit ? "HIT" : "MISS" }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: json)))
    }

    /// `s` as a JSON string literal: `"` and `\` escaped, control characters as `\n`, `\r`, `\t` or `\u00xx`,
    /// everything else as it is. Works on UTF-8 bytes, sized in a first pass: the sender quotes every message it
    /// batches, and appending scalar by scalar was a quarter of campaignd's CPU in a send.
    static func quote(_ s: String) -> String {
        var s = s
        return s.withUTF8 { u in
            var extra = 0
            for b in u where b < 0x20 || b == 0x22 || b == 0x5C {
                extra += b == 0x0A || b == 0x0D || b == 0x09 || b >= 0x20 ? 1 : 5
            }
            return String(unsafeUninitializedCapacity: u.count + extra + 2) { out in
                out[0] = 0x22
                var o = 1
                if extra == 0 {
                    _ = UnsafeMutableBufferPointer(rebasing: out[1...]).initialize(from: u)
                    o += u.count
                } else {
                    for b in u {
                        switch b {
                        case 0x22, 0x5C: out[o] = 0x5C; out[o + 1] = b; o += 2
                        case 0x0A: out[o] = 0x5C; out[o + 1] = UInt8(ascii: "n"); o += 2
                        case 0x0D: out[o] = 0x5C; out[o + 1] = UInt8(ascii: "r"); o += 2
                        case 0x09: out[o] = 0x5C; out[o + 1] = UInt8(ascii: "t"); o += 2
                        case ..<0x20:
                            let low = b & 15
                            (out[o], out[o + 1], out[o + 2], out[o + 3]) = (0x5C, UInt8(ascii: "u"), 0x30, 0x30)
                            (out[o + 4], out[o + 5]) = (0x30 + (b >> 4), low < 10 ? 0x30 + low : UInt8(ascii: "a") + low - 10)
                            o += 6
                        default: out[o] = b; o += 1
                        }
                    }
                }
                out[o] = 0x22
                return o + 1
            }
        }
    }

    /// The body as bytes, at most `limit`, or 413.
    static func body(_ request: Request, limit: Int) async throws -> Data {
        do {
            return Data(try await request.body.collect(upTo: limit).readableBytesView)
        } catch {
            throw APIError(.contentTooLarge, "body is larger than \(limit) bytes")
        }
    }
}

extension Campaign {
    /// The campaign as a JSON object, written directly: JSONEncoder's tree of boxed values made encoding a page
    /// of 20 most of the list route's CPU in campaignd.
    var json: String {
        "{\"id\":\(id),\"name\":\(JSON.quote(name)),\"subject\":\(JSON.quote(subject)),\"status\":\(JSON.quote(status)),\"created_at\":\(JSON.quote(createdAt))}"
    }
}

extension CampaignOutcome {
    /// The value, or 404 / 409 naming the campaign's status.
    func value(action: String) throws -> T {
        switch self {
        case .done(let v): return v
        case .notFound: throw APIError(.notFound, "no such campaign", field: "id")
        case .conflict(let status): throw APIError(.conflict, "cannot \(action) a campaign that is \(status)", field: "status")
        }
    }
}

extension Request {
    /// An integer query parameter in `range`, `fallback` when absent, or 400 naming it.
    func intParam(_ name: String, default fallback: Int, range: ClosedRange<Int>) throws -> Int {
        guard let v = uri.queryParameters.get(name) else { return fallback }
        guard let n = Int(v), range.contains(n) else {
            throw APIError(.badRequest, "\(name) must be an integer in \(range.lowerBound)...\(range.upperBound)", field: name)
        }
        return n
    }
}
