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
