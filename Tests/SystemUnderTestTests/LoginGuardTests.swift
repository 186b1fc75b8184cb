import Foundation
import Synchronization
import Testing
@testable import SystemUnderTest

@Suite struct LoginGuardTests {
    @Test func failuresPerEmailAndPerAddressLockOut() async throws {
        let g = LoginGuard(cache: MemoryCache(), perEmail: 3, perAddress: 5, windowSeconds: 60, concurrent: 1)
        for _ in 0..<3 { try await g.check(email: "A@x.io", address: "1.2.3.4"); await g.failed(email: "A@x.io", address: "1.2.3.4") }
        await #expect(throws: APIError.self) { try await g.check(email: "a@x.io", address: "9.9.9.9") }  // case does not escape it
        try await g.check(email: "b@x.io", address: "1.2.3.4")
        for _ in 0..<2 { await g.failed(email: "c\(UUID())@x.io", address: "1.2.3.4") }
        await #expect(throws: APIError.self) { try await g.check(email: "d@x.io", address: "1.2.3.4") }
        try await g.check(email: "d@x.io", address: "5.6.7.8")
    }

    /// Logins beyond the limit wait their turn in order; one that waits too long gets 503, and no turn is lost.
    @Test func loginsTakeTurnsAndGiveUpAfterTheWait() async throws {
        let g = LoginGuard(cache: MemoryCache(), concurrent: 1, waitSeconds: 0.5)
        let gate = AsyncStream<Void>.makeStream()
        let first = Task { try await g.admit { for await _ in gate.stream { break } } }
        try await Task.sleep(for: .milliseconds(50))
        // Waits for the first to finish, then runs; the wait is its own Server-Timing stage, not "render".
        let timing = ServerTiming()
        let second = Task { try await g.admit(timing: timing) { "second" } }
        try await Task.sleep(for: .milliseconds(100))
        gate.continuation.yield()
        try await first.value
        #expect(try await second.value == "second")
        #expect(g.pendingTimers == 0, "the served waiter's give-up timer still sleeps")
        #expect(timing.wait > 0 && timing.db == 0)
        let header = timing.header(totalNanos: timing.wait + 2_000_000)
        #expect(header.contains("wait;dur=\(ServerTiming.ms(timing.wait))") && header.hasSuffix("render;dur=2.000"), "\(header)")
        // Held too long: the next waiter gives up with 503, and the turn comes back for later logins.
        let hold = AsyncStream<Void>.makeStream()
        let holder = Task { try await g.admit { for await _ in hold.stream { break } } }
        try await Task.sleep(for: .milliseconds(50))
        await #expect(throws: APIError.self) { try await g.admit { 1 } }
        hold.continuation.yield()
        try await holder.value
        #expect(try await g.admit { 2 } == 2)
    }
}
