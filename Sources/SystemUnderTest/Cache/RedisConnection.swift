import CHiredis
import Foundation

/// One hiredis connection, used by exactly one worker thread.
public final class RedisConnection {
    let ctx: UnsafeMutablePointer<redisContext>

    /// Connects with a short timeout: a cache that is down must fail fast, not stall requests.
    public init(host: String, port: Int, timeout: Double = 0.2) throws {
        let tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - Double(Int(timeout))) * 1e6))
        guard let c = redisConnectWithTimeout(host, Int32(port), tv) else { throw CacheError("out of memory") }
        if c.pointee.err != 0 {
            let msg = Self.errorText(c)
            redisFree(c)
            throw CacheError("cannot connect to redis \(host):\(port): \(msg)")
        }
        // A reply later than this is worth less than asking PostgreSQL. At 1 s, a Redis SIGKILLed under load stalled
        // every request for that second (0 of 80 answered; the chaos scenario's redis:kill window, p99 825 ms).
        redisSetTimeout(c, timeval(tv_sec: 0, tv_usec: 250_000))
        ctx = c
    }

    deinit { redisFree(ctx) }

    public var isHealthy: Bool { ctx.pointee.err == 0 }

    /// Sends several commands in one round trip (pipelining) and returns their replies in order.
    public func pipeline(_ commands: [[String]]) throws -> [RedisReply] {
        for cmd in commands {
            let rc = withCStrings(cmd) { ptrs -> Int32 in
                var lens = cmd.map { $0.utf8.count }
                return ptrs.withUnsafeBufferPointer { p in
                    redisAppendCommandArgv(ctx, Int32(cmd.count), UnsafeMutablePointer(mutating: p.baseAddress), &lens)
                }
            }
            guard rc == REDIS_OK else { throw CacheError(Self.errorText(ctx)) }
        }
        var out: [RedisReply] = []
        out.reserveCapacity(commands.count)
        for _ in commands {
            var raw: UnsafeMutableRawPointer?
            guard redisGetReply(ctx, &raw) == REDIS_OK, let r = raw else { throw CacheError(Self.errorText(ctx)) }
            let reply = r.assumingMemoryBound(to: redisReply.self)
            out.append(RedisReply(reply))
            freeReplyObject(r)
        }
        return out
    }

    /// One command.
    public func command(_ args: String...) throws -> RedisReply { try pipeline([args])[0] }

    static func errorText(_ c: UnsafeMutablePointer<redisContext>) -> String {
        withUnsafeBytes(of: c.pointee.errstr) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
    }
}

/// A Redis reply, copied out of hiredis.
public enum RedisReply: Sendable, Equatable {
    case string(String)
    case integer(Int)
    case array([RedisReply])
    case null
    case status(String)
    case error(String)

    init(_ r: UnsafeMutablePointer<redisReply>) {
        let p = r.pointee
        switch p.type {
        case REDIS_REPLY_STRING: self = .string(String(decoding: UnsafeRawBufferPointer(start: p.str, count: Int(p.len)), as: UTF8.self))
        case REDIS_REPLY_STATUS: self = .status(String(cString: p.str))
        case REDIS_REPLY_ERROR: self = .error(String(cString: p.str))
        case REDIS_REPLY_INTEGER: self = .integer(Int(p.integer))
        case REDIS_REPLY_ARRAY: self = .array((0..<Int(p.elements)).map { RedisReply(p.element[$0]!) })
        default: self = .null
        }
    }

    public var string: String? { if case .string(let s) = self { s } else { nil } }
    public var integer: Int? { if case .integer(let i) = self { i } else { nil } }
}

/// A cache operation failed (Redis down or answering errors).
public struct CacheError: Error, CustomStringConvertible, Sendable {
    public var description: String
    init(_ d: String) { description = d }
}
