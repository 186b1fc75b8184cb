import Foundation

/// Sessions as seed 000 keeps them: `session:<token>` in Redis for 24 h, written through to PostgreSQL so that
/// logins survive a Redis outage.
public struct SessionService: Sendable {
    /// Seed 000 "Session Management": setex(session, 86400).
    public static let ttlSeconds = 86_400
    let store: any CampaignStore
    let cache: any KeyValueCache

    public init(store: any CampaignStore, cache: any KeyValueCache) {
        self.store = store
        self.cache = cache
    }

    /// A new token for valid credentials, or nil.
    public func login(email: String, password: String, timing: ServerTiming) async throws -> (token: String, session: Session)? {
        guard let s = try await timing.db({ try await store.authenticate(email: email, password: password) }) else { return nil }
        let token = Self.newToken()
        try await timing.db { try await store.saveSession(token: token, s, ttl: Self.ttlSeconds) }
        await timing.cache { await cache.set("session:\(token)", s.encoded, ttl: Self.ttlSeconds) }
        return (token, s)
    }

    public func resolve(token: String, timing: ServerTiming) async throws -> Session? {
        guard token.count == 64, token.allSatisfy(\.isHexDigit) else { return nil }
        if let v = await timing.cache({ await cache.get("session:\(token)") }), let s = Session(encoded: v) { return s }
        guard let s = try await timing.db({ try await store.session(token: token) }) else { return nil }
        await timing.cache { await cache.set("session:\(token)", s.encoded, ttl: Self.ttlSeconds) }
        return s
    }

    public func logout(token: String) async throws {
        await cache.delete(["session:\(token)"])
        try await store.deleteSession(token: token)
    }

    static func newToken() -> String {
        var g = SystemRandomNumberGenerator()
        return (0..<4).map { _ in
            let s = String(g.next() as UInt64, radix: 16)
            return String(repeating: "0", count: 16 - s.count) + s
        }.joined()
    }
}
