import Foundation
import Synchronization

/// What stands between a flood of logins and the rest of the API: failed attempts are counted per email and
/// per client address in Redis, and past a limit refused (429) before any bcrypt work; and logins together
/// hold at most part of the database pool, so other routes keep their connections.
///
/// When Redis is down failures are not counted (logins go on): a cache outage must not lock everyone out.
public final class LoginGuard: Sendable {
    let cache: any KeyValueCache
    /// Failed logins per email, and per client address, within `windowSeconds`.
    public let perEmail: Int
    public let perAddress: Int
    public let windowSeconds: Int
    /// Logins running at once, at most; others wait for a turn up to `waitSeconds`, then get 503.
    public let concurrent: Int
    public let waitSeconds: Double
    private let turns = Mutex(Turns())

    struct Turns {
        var running = 0
        var waiting: [(id: UInt64, continuation: CheckedContinuation<Bool, Never>)] = []
        var nextID: UInt64 = 0
        /// Each waiter's give-up timer, cancelled when the turn comes first (else each sleeps out its wait).
        var timers: [UInt64: Task<Void, Never>] = [:]
    }

    public init(cache: any KeyValueCache, perEmail: Int = 10, perAddress: Int = 100, windowSeconds: Int = 900, concurrent: Int,
                waitSeconds: Double = 2) {
        self.waitSeconds = waitSeconds
        self.cache = cache
        self.perEmail = perEmail
        self.perAddress = perAddress
        self.windowSeconds = windowSeconds
        self.concurrent = max(concurrent, 1)
    }

    static func emailKey(_ email: String) -> String { "login-fail:e:" + Crypto.sha256Hex(email.lowercased()) }
    static func addressKey(_ address: String) -> String { "login-fail:a:" + address }

    /// Throws 429 when this email or address failed too often lately.
    public func check(email: String, address: String) async throws {
        let counts = await cache.get([Self.emailKey(email), Self.addressKey(address)]).map { $0.flatMap(Int.init) ?? 0 }
        if counts[0] >= perEmail || counts[1] >= perAddress {
            throw APIError(.tooManyRequests, "too many failed logins; try again later", retryAfter: windowSeconds)
        }
    }

    public func failed(email: String, address: String) async {
        _ = await cache.increment(Self.emailKey(email), ttl: windowSeconds)
        _ = await cache.increment(Self.addressKey(address), ttl: windowSeconds)
    }

    /// Runs `body` as one of at most `concurrent` logins; waits up to `waitSeconds` for a turn, then 503 with
    /// Retry-After. Turns pass in arrival order.
    public func admit<T>(timing: ServerTiming = ServerTiming(), _ body: () async throws -> T) async throws -> T {
        guard await timing.wait({ await acquire() }) else { throw APIError(.serviceUnavailable, "too many logins at once, retry later", retryAfter: 1) }
        defer { release() }
        return try await body()
    }

    func acquire() async -> Bool {
        let wait = waitSeconds
        return await withCheckedContinuation { (c: CheckedContinuation<Bool, Never>) in
            // Deciding and queueing under one lock: a release in between cannot miss this waiter.
            let id = turns.withLock { t -> UInt64? in
                if t.running < concurrent { t.running += 1; return nil }
                t.nextID += 1
                t.waiting.append((t.nextID, c))
                return t.nextID
            }
            guard let id else { c.resume(returning: true); return }
            let timer = Task { [weak self] in
                guard (try? await Task.sleep(for: .seconds(wait))) != nil else { return }
                // Still waiting: give up the place (a turn handed over meanwhile was already resumed with true).
                let late = self?.turns.withLock { t -> CheckedContinuation<Bool, Never>? in
                    t.timers[id] = nil
                    guard let i = t.waiting.firstIndex(where: { $0.id == id }) else { return nil }
                    return t.waiting.remove(at: i).continuation
                }
                late?.resume(returning: false)
            }
            // The turn may have come already, before the timer was on record.
            let served = turns.withLock { t -> Bool in
                guard t.waiting.contains(where: { $0.id == id }) else { return true }
                t.timers[id] = timer
                return false
            }
            if served { timer.cancel() }
        }
    }

    /// Give-up timers still running (for tests).
    var pendingTimers: Int { turns.withLock { $0.timers.count } }

    /// Hands the turn to the longest waiter, or frees it.
    func release() {
        let next = turns.withLock { t -> (CheckedContinuation<Bool, Never>, Task<Void, Never>?)? in
            if t.waiting.isEmpty { t.running -= 1; return nil }
            let w = t.waiting.removeFirst()
            return (w.continuation, t.timers.removeValue(forKey: w.id))
        }
        next?.1?.cancel()
        next?.0.resume(returning: true)
    }
}
