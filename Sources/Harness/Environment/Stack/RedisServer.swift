import Foundation
import Harness

/// An ephemeral redis-server on a free loopback port with seed-000 settings.
public final class RedisServer: Sendable {
    public let port: Int
    public let process: ManagedProcess
    public var url: String { "redis://127.0.0.1:\(port)" }

    /// `port`: a given one (to bring a server back where clients expect it), or a free one.
    public init(directory: String, port wanted: Int? = nil) throws {
        let exe = ["/usr/bin/redis-server", "/usr/local/bin/redis-server"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let exe else { throw StackError("redis-server is not installed; run `make setup`") }
        let dir = directory + "/redis"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        port = try wanted ?? FreePort.pick()
        process = try ManagedProcess(name: "redis", executable: exe, arguments: ServerSettings.redis(port: port, dir: dir),
                                     logPath: directory + "/redis.log")
        try process.waitListening(port)
    }
}
