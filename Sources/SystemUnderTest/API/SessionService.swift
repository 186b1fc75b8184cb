import Foundation

/// Sessions as seed 000 keeps them: in Redis for 24 h, written through to PostgreSQL so that logins survive a
/// Redis outage. Both hold the SHA-256 of the token, never the token: a leaked table or dump opens no session.
public struct SessionService: Sendable {
    /// Seed 000 "Session Management": setex(session, 86400).
    public static let ttlSeconds = 86_400
    let store: any CampaignStore
    let cache: any KeyValueCache
    let guardian: LoginGuard?

    public init(store: any CampaignStore, cache: any KeyValueCache, guardian: LoginGuard? = nil) {
        self.store = store
        self.cache = cache
        self.guardian = guardian
    }

    /// What the token is stored under.
    static func key(_ token: String) -> String { Crypto.sha256Hex(token) }

    /// A new token for valid credentials, or nil; 429 after too many failures for this email or address.
    public func login(email: String, password: String, address: String, timing: ServerTiming) async throws -> (token: String, session: Session)? {
        if let guardian { try await timing.cache { try await guardian.check(email: email, address: address) } }
        let authenticate = { try await timing.db { try await store.authenticate(email: email, password: password) } }
        let found = if let guardian { try await guardian.admit(timing: timing, authenticate) } else { try await authenticate() }
        guard let s = found else {
            if let guardian { await timing.cache { await guardian.failed(email: email, address: address) } }
            return nil
        }
        let token = Self.newToken()
        let key = Self.key(token)
        try await timing.db { try await store.saveSession(key: key, s, ttl: Self.ttlSeconds) }
        await timing.cache { await cache.set("session:\(key)", s.encoded, ttl: Self.ttlSeconds) }
        return (token, s)
    }

    public func resolve(token: String, timing: ServerTiming) async throws -> Session? {
        guard token.count == 64, token.allSatisfy(\.isHexDigit) else { return nil }
        let key = Self.key(token)
        if let v = await timing.cache({ await cache.get("session:\(key)") }), let s = Session(encoded: v) { return s }
        guard let (s, ttl) = try await timing.db({ try await store.session(key: key) }) else { return nil }
        // Cached for what the session has left, not a fresh day.
        await timing.cache { await cache.set("session:\(key)", s.encoded, ttl: ttl) }
        return s
    }

    public func logout(token: String) async throws {
        let key = Self.key(token)
        await cache.delete(["session:\(key)"])
        try await store.deleteSession(key: key)
    }

    static func newToken() -> String { Crypto.hex(Crypto.randomBytes(32)) }
}
