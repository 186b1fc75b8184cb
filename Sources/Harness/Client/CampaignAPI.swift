import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A small JSON client for campaignd's API: what scenarios need beyond generated load (log in, create, send, poll).
public struct CampaignAPI: Sendable {
    public let base: String
    public var token: String?

    public init(base: String, token: String? = nil) {
        self.base = base
        self.token = token
    }

    /// A reply: status, headers, and the body as JSON (empty when it is not an object).
    public struct Reply: Sendable {
        public var status: Int
        public var headers: [String: String]
        public var body: Data
        public var json: [String: Any] { ((try? JSONSerialization.jsonObject(with: body)) as? [String: Any]) ?? [:] }
        public var text: String { String(decoding: body, as: UTF8.self) }
        /// A header by name, case-insensitively.
        public func header(_ name: String) -> String? { headers.first { $0.key.lowercased() == name.lowercased() }?.value }
    }

    /// Redirects are answers here (tracked links), never followed off loopback.
    static let session = URLSession(configuration: .ephemeral, delegate: NoRedirect(), delegateQueue: nil)

    public func call(_ method: String, _ path: String, json: Any? = nil, body: Data? = nil, contentType: String? = nil,
                     headers: [String: String] = [:], timeout: Double = 120) async throws -> Reply {
        guard let url = URL(string: base + path) else { throw UsageError("bad URL \(base + path)") }
        var req = URLRequest(url: url)
        req.httpMethod = method
        req.timeoutInterval = timeout
        if let token { req.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let json {
            req.httpBody = try JSONSerialization.data(withJSONObject: json)
            req.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        if let body { req.httpBody = body }
        if let contentType { req.setValue(contentType, forHTTPHeaderField: "Content-Type") }
        for (k, v) in headers { req.setValue(v, forHTTPHeaderField: k) }
        let (data, resp) = try await Self.session.data(for: req)
        let http = resp as? HTTPURLResponse
        var h: [String: String] = [:]
        for (k, v) in http?.allHeaderFields ?? [:] { h["\(k)"] = "\(v)" }
        return Reply(status: http?.statusCode ?? 0, headers: h, body: data)
    }

    /// Logs in; throws naming the account when it fails.
    public func login(email: String, password: String) async throws -> CampaignAPI {
        let r = try await call("POST", "/api/login", json: ["email": email, "password": password])
        guard r.status == 200, let t = r.json["token"] as? String else { throw StackError("login as \(email) failed: \(r.status) \(r.text)") }
        return CampaignAPI(base: base, token: t)
    }

    /// Throws unless the status is `expected`.
    @discardableResult
    public func expect(_ expected: Int, _ method: String, _ path: String, json: Any? = nil, body: Data? = nil,
                       contentType: String? = nil) async throws -> Reply {
        let r = try await call(method, path, json: json, body: body, contentType: contentType)
        guard r.status == expected else { throw StackError("\(method) \(path) answered \(r.status), not \(expected): \(r.text.prefix(300))") }
        return r
    }
}

/// Keeps a redirect as the answer instead of following it.
final class NoRedirect: NSObject, URLSessionTaskDelegate, Sendable {
    // The completion-handler form: FoundationNetworking on Linux does not call the async one.
    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void) { completionHandler(nil) }
}
