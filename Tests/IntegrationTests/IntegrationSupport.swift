import Foundation
import Testing
import Harness
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Every integration suite nests in this one, so they all run one at a time: they start real servers and
/// measure latency, and running them side by side on 2 cores would measure each other.
@Suite(.serialized) struct RealStack {}

/// Helpers for tests that drive the real stack and the real binaries.
enum Integration {
    /// The build folder holding the test bundle, mailstorm and campaignd.
    static var buildDirectory: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent().path
    }

    static func binary(_ name: String) -> String { buildDirectory + "/" + name }

    /// Runs mailstorm with `args` and returns its exit code and output.
    static func mailstorm(_ args: [String]) throws -> (status: Int32, output: String) {
        try ManagedProcess.runToEnd(binary("mailstorm"), args)
    }

    /// GET `url` and return the body as text.
    static func get(_ url: String) async throws -> String {
        let (data, _) = try await URLSession.shared.data(from: URL(string: url)!)
        return String(decoding: data, as: UTF8.self)
    }

    /// Sums campaignd_http_requests_total samples whose route starts with "/api" after the method.
    static func apiRequestsServed(metrics: String) -> UInt64 {
        metrics.split(separator: "\n").filter { $0.hasPrefix("campaignd_http_requests_total{") && $0.contains(" /api/") }
            .compactMap { UInt64($0.split(separator: " ").last ?? "") }.reduce(0, +)
    }

    /// One value from PostgreSQL through psql.
    static func sql(_ url: String, _ query: String) throws -> String {
        try ManagedProcess.runToEnd("/usr/bin/psql", [url, "-Atc", query]).output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func stackOptions() -> StackOptions { StackOptions(campaignd: binary("campaignd")) }
}

/// A small client for campaignd's API, for tests that check routes one by one.
struct APIClient {
    let base: String
    var token: String?

    struct Reply {
        var status: Int
        var headers: [String: String]
        var body: Data
        var text: String { String(decoding: body, as: UTF8.self) }
        var json: [String: Any] { ((try? JSONSerialization.jsonObject(with: body)) as? [String: Any]) ?? [:] }
        func header(_ name: String) -> String? { headers.first { $0.key.lowercased() == name.lowercased() }?.value }
    }

    /// Logs in as `email` and returns a client carrying the token.
    static func login(_ base: String, _ email: String = "user1@tenant1.example") async throws -> APIClient {
        let r = try await APIClient(base: base).call("POST", "/api/login", json: ["email": email, "password": "mailstorm-pass"])
        guard r.status == 200, let t = r.json["token"] as? String else { throw StackError("login failed: \(r.status) \(r.text)") }
        return APIClient(base: base, token: t)
    }

    func call(_ method: String, _ path: String, json: Any? = nil, body: Data? = nil, contentType: String? = nil,
              headers: [String: String] = [:]) async throws -> Reply {
        var req = URLRequest(url: URL(string: base + path)!)
        req.httpMethod = method
        if let token { req.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let json {
            req.httpBody = try JSONSerialization.data(withJSONObject: json)
            req.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        if let body { req.httpBody = body }
        if let contentType { req.setValue(contentType, forHTTPHeaderField: "Content-Type") }
        for (k, v) in headers { req.setValue(v, forHTTPHeaderField: k) }
        let (data, resp) = try await APIClient.session.data(for: req)
        let http = resp as! HTTPURLResponse
        var h: [String: String] = [:]
        for (k, v) in http.allHeaderFields { h["\(k)"] = "\(v)" }
        return Reply(status: http.statusCode, headers: h, body: data)
    }

    /// Redirects are answers here (tracked links), not something to follow.
    static let session = URLSession(configuration: .ephemeral, delegate: NoRedirects(), delegateQueue: nil)
}

final class NoRedirects: NSObject, URLSessionTaskDelegate, Sendable {
    // The completion-handler form: FoundationNetworking on Linux does not call the async one.
    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void) { completionHandler(nil) }
}

extension Integration {
    /// Seeds `contacts` through campaignd's own seeder.
    static func seed(_ stack: Stack, contacts: Int) throws {
        let r = try ManagedProcess.runToEnd(binary("campaignd"), ["seed", "--database-url", stack.endpoints.databaseURL!,
                                                                   "--contacts", String(contacts), "--quiet"])
        guard r.status == 0 else { throw StackError("seed failed: \(r.output)") }
    }

    /// Polls `condition` every 100 ms for up to `seconds`.
    static func eventually(_ seconds: Double, _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return try await condition()
    }
}
