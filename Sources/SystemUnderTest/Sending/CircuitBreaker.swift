import Foundation

/// Stops sending to a provider that keeps failing (seed 002's circuit breaker), and probes it again later.
///
/// Closed: everything goes. After `threshold` consecutive transient failures it opens for `cooldown`; then one
/// probe batch is let through (half-open). Success closes it; failure re-opens it with the cooldown doubled,
/// up to `maxCooldown`. Pure logic, driven by the caller's clock.
public struct CircuitBreaker: Sendable, Equatable {
    public enum State: Sendable, Equatable { case closed, open(until: Double), halfOpen }
    public private(set) var state: State = .closed
    public let threshold: Int
    public let baseCooldown: Double
    public let maxCooldown: Double
    private var consecutiveFailures = 0
    private var cooldown: Double
    public private(set) var opened = 0

    public init(threshold: Int = 50, cooldown: Double = 2, maxCooldown: Double = 30) {
        self.threshold = threshold
        baseCooldown = cooldown
        self.maxCooldown = maxCooldown
        self.cooldown = cooldown
    }

    /// Whether a batch may go now; an expired open state turns half-open and lets this one probe.
    public mutating func allow(now: Double) -> Bool {
        switch state {
        case .closed: return true
        case .halfOpen: return false  // a probe is already out
        case .open(let until):
            guard now >= until else { return false }
            state = .halfOpen
            return true
        }
    }

    /// Seconds until a batch may go (0 when allowed).
    public func wait(now: Double) -> Double {
        if case .open(let until) = state { return max(until - now, 0) }
        return state == .halfOpen ? 0.05 : 0
    }

    /// Feeds a batch's outcome: `delivered` reached the provider (sent or permanently refused), `failed` did not.
    public mutating func record(delivered: Int, failed: Int, now: Double) {
        if delivered > 0 {
            consecutiveFailures = 0
            cooldown = baseCooldown
            state = .closed
        } else if failed > 0 {
            consecutiveFailures += failed
            if state == .halfOpen || consecutiveFailures >= threshold {
                if state == .halfOpen { cooldown = min(cooldown * 2, maxCooldown) }
                state = .open(until: now + cooldown)
                opened += 1
                consecutiveFailures = 0
            }
        } else if state == .halfOpen {
            state = .closed
        }
    }
}

/// Exponential backoff with jitter for transient failures: base × 2^(attempt-1) × [0.5, 1.5), capped.
public struct RetryPolicy: Sendable {
    public var base: Double
    public var cap: Double
    public var maxAttempts: Int

    public init(base: Double = 1, cap: Double = 300, maxAttempts: Int = 5) {
        self.base = base
        self.cap = cap
        self.maxAttempts = maxAttempts
    }

    /// Seconds before attempt `attempt + 1`, after `attempt` failed (1-based); `u` is uniform in [0, 1).
    public func delay(afterAttempt attempt: Int, u: Double) -> Double {
        min(base * pow(2, Double(max(attempt - 1, 0))) * (0.5 + u), cap)
    }
}
