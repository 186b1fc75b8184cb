import Hummingbird
import NIOCore

/// The request context of campaignd: Hummingbird's core storage plus the caller's session once authenticated.
public struct CampaignContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by `AuthMiddleware` on every /api route.
    public var session: Session?
    /// Server-Timing stages measured while handling the request.
    public var timing: ServerTiming
    let channel: any Channel
    /// The peer's IP address, for throttling failed logins per client; worked out only when a login asks.
    public var clientAddress: String { channel.remoteAddress?.ipAddress ?? "unknown" }

    public init(source: Source) {
        coreContext = .init(source: source)
        timing = ServerTiming()
        channel = source.channel
    }

    /// Bodies above 1 MiB are refused with 413 (bulk imports raise this per route).
    public var maxUploadSize: Int { 1 << 20 }

    /// The session, or 401 for a route that needs one.
    public func requireSession() throws -> Session {
        guard let s = session else { throw APIError(.unauthorized, "missing or invalid bearer token") }
        return s
    }
}

/// Durations of a request's stages, reported in the Server-Timing header so the harness can split latency.
public final class ServerTiming: @unchecked Sendable {
    // Only the task handling the request touches this; the class lets middleware see what handlers recorded.
    var db: UInt64 = 0
    var cache: UInt64 = 0
    var wait: UInt64 = 0

    public init() {}

    /// Times `body` as a database stage.
    public func db<T>(_ body: () async throws -> T) async rethrows -> T {
        let s = ContinuousClock.now
        defer { db += Self.nanos(since: s) }
        return try await body()
    }

    /// Times `body` as waiting for a turn (a login's slot to hash a password).
    public func wait<T>(_ body: () async throws -> T) async rethrows -> T {
        let s = ContinuousClock.now
        defer { wait += Self.nanos(since: s) }
        return try await body()
    }

    /// Times `body` as a cache stage.
    public func cache<T>(_ body: () async throws -> T) async rethrows -> T {
        let s = ContinuousClock.now
        defer { cache += Self.nanos(since: s) }
        return try await body()
    }

    static func nanos(since s: ContinuousClock.Instant) -> UInt64 {
        let d = ContinuousClock.now - s
        return UInt64(d.components.seconds) * 1_000_000_000 + UInt64(d.components.attoseconds / 1_000_000_000)
    }

    /// The header value, given the total handling time.
    func header(totalNanos: UInt64) -> String {
        let known = db + cache + wait
        let render = totalNanos > known ? totalNanos - known : 0
        return "db;dur=\(Self.ms(db)), cache;dur=\(Self.ms(cache)), wait;dur=\(Self.ms(wait)), render;dur=\(Self.ms(render))"
    }

    /// Milliseconds with three decimals ("12.346"), rounded to the microsecond. Five of these go out with every
    /// response; String(format:) went through CFString and cost 3% of campaignd's CPU in the api mix.
    static func ms(_ n: UInt64) -> String {
        let us = (n + 500) / 1000
        let fraction = us % 1000
        return "\(us / 1000)." + (fraction < 10 ? "00" : fraction < 100 ? "0" : "") + "\(fraction)"
    }
}
