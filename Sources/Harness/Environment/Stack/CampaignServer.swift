import Foundation
import Harness

/// The system under test, `campaignd`, started on a port of its own choosing (it prints the one it bound).
public final class CampaignServer: Sendable {
    public let port: Int
    public let process: ManagedProcess
    public var url: String { "http://127.0.0.1:\(port)" }

    /// The campaignd binary: `explicit`, MAILSTORM_CAMPAIGND, or the one built beside this executable.
    public static func locate(_ explicit: String? = nil) throws -> String {
        if let p = explicit ?? ProcessInfo.processInfo.environment["MAILSTORM_CAMPAIGND"] {
            guard FileManager.default.isExecutableFile(atPath: p) else { throw StackError("campaignd binary '\(p)' is not executable") }
            return p
        }
        let me = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        let sibling = me.appendingPathComponent("campaignd").path
        guard FileManager.default.isExecutableFile(atPath: sibling) else {
            throw StackError("campaignd not found beside \(me.path); build it (`swift build`) or pass --campaignd PATH")
        }
        return sibling
    }

    /// `port` 0 lets campaignd pick a free one; a given one brings it back where the load generator expects it.
    public init(binary: String, directory: String, databaseURL: String, redisURL: String, extraArguments: [String] = [], port wanted: Int = 0) throws {
        let log = directory + "/campaignd.log"
        process = try ManagedProcess(
            name: "campaignd", executable: binary,
            arguments: ["serve", "--host", "127.0.0.1", "--port", String(wanted), "--database-url", databaseURL, "--redis-url", redisURL]
                // The sink's webhook secret, on loopback only; a deployment sets its own.
                + (extraArguments.contains { $0.hasPrefix("--webhook-secret") } ? [] : ["--webhook-secret", EngagementPlan().webhookSecret])
                + extraArguments,
            logPath: log)
        let deadline = Date().addingTimeInterval(60)
        while true {
            // campaignd prints "campaignd listening on 127.0.0.1:PORT" once migrations ran and the socket is bound.
            if let text = try? String(contentsOfFile: log, encoding: .utf8),
               let line = text.split(separator: "\n").first(where: { $0.contains("campaignd listening on") }),
               let p = Int(line.split(separator: ":").last ?? "") {
                port = p
                break
            }
            guard process.isRunning, Date() < deadline else {
                process.stop()
                // campaignd exits 2 on a bad flag or URL it was given (--database-url, --campaignd-arg=...): that
                // is the user's input, named in its log, not broken infrastructure.
                if process.exitCode == 2 {
                    let tail = process.logTail(lines: 8).split(separator: "\n")
                    let why = tail.first { $0.hasPrefix("campaignd:") || $0.hasPrefix("Error:") } ?? tail.last ?? "exit 2"
                    throw StackError("campaignd refused its configuration: \(why)", isUsage: true)
                }
                throw StackError("campaignd did not start:\n\(process.logTail())")
            }
            usleep(20_000)
        }
    }
}
