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
