import Foundation
import Hummingbird

/// An error answered as JSON `{"error": message, "field": name}`, so a client knows which input was wrong.
public struct APIError: HTTPResponseError {
    public var status: HTTPResponse.Status
    public var message: String
    public var field: String?
    /// Seconds for the Retry-After header (with 503 and 429).
    public var retryAfter: Int?

    public init(_ status: HTTPResponse.Status, _ message: String, field: String? = nil, retryAfter: Int? = nil) {
        self.status = status
        self.message = message
        self.field = field
        self.retryAfter = retryAfter
    }

    /// What a failure of a dependency means to the client: 503 with Retry-After while the database is out or
    /// saturated (nothing the client sent was wrong, and trying again shortly should work); nil for anything else.
    public static func unavailable(_ error: any Error) -> APIError? {
        switch error {
        case let e as DatabaseError where e.isUnavailable:
            APIError(.serviceUnavailable, "database unavailable, retry later", retryAfter: 1)
        case PoolError.acquireTimeout:
            APIError(.serviceUnavailable, "database busy, retry later", retryAfter: 1)
        default: nil
        }
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var body: [String: String] = ["error": message]
        if let field { body["field"] = field }
        var response = try JSON.response(body, status: status)
        if let retryAfter { response.headers[.retryAfter] = String(retryAfter) }
        return response
    }
}

/// JSON encoding for responses, with snake_case keys declared on the models.
public enum JSON {
    /// Whether a value JSONSerialization produced was `true` or `false`. On Linux `NSNumber(1) is Bool` holds,
    /// so only the number's type tells a boolean from the numbers 0 and 1.
    public static func isBool(_ v: Any) -> Bool {
        guard let n = v as? NSNumber else { return false }
        return n.objCType.pointee == CChar(UInt8(ascii: "c"))
    }

    /// A response whose body is `value` as JSON.
    public static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try JSONEncoder().encode(value)
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// Decodes a request body, answering 400 with the offending field on failure.
    public static func decode<T: Decodable>(_ type: T.Type, from request: Request, context: CampaignContext, limit: Int? = nil) async throws -> T {
        let buffer = try await request.body.collect(upTo: limit ?? context.maxUploadSize)
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView))
        } catch DecodingError.keyNotFound(let key, _) {
            throw APIError(.badRequest, "missing field '\(key.stringValue)'", field: key.stringValue)
        } catch DecodingError.typeMismatch(_, let ctx), DecodingError.valueNotFound(_, let ctx) {
            let field = ctx.codingPath.map(\.stringValue).joined(separator: ".")
            throw APIError(.badRequest, "field '\(field)' has the wrong type", field: field)
        } catch {
            throw APIError(.badRequest, "body is not valid JSON")
        }
    }
}
