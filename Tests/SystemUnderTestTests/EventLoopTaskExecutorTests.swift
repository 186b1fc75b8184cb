import NIOCore
import NIOPosix
import Testing
@testable import SystemUnderTest

/// Where a handler's code runs: on the loop that woke it, back on that loop after a blocking worker's job, and off
/// the loops for long CPU work. Real SwiftNIO loops and worker threads, no sockets.
@Suite struct EventLoopTaskExecutorTests {
    /// Two loops or more, so that a task resumed on the wrong one would show.
    static let loops = MultiThreadedEventLoopGroup(numberOfThreads: 2)

    /// The loop the current code runs on, by identity (nil: not on one).
    static func currentLoop() -> ObjectIdentifier? {
        MultiThreadedEventLoopGroup.currentEventLoop.map { ObjectIdentifier($0 as AnyObject) }
    }

    @Test func aTaskStaysOnItsLoopAcrossAWorkerJob() async throws {
        let pool = BlockingWorkerPool<Int>(name: "t", threads: 2, acquireTimeout: 5) { 0 }
        defer { pool.shutdown() }
        let seen = try await withTaskExecutorPreference(EventLoopTaskExecutor(Self.loops)) {
            try await withThrowingTaskGroup(of: [ObjectIdentifier?].self) { tasks in
                for _ in 0..<8 {
                    tasks.addTask {
                        var seen = [Self.currentLoop()]
                        for _ in 0..<5 {
                            seen.append(try await pool.run { _ in Self.currentLoop() })
                            seen.append(Self.currentLoop())
                        }
                        return seen
                    }
                }
                return try await tasks.reduce(into: []) { $0.append($1) }
            }
        }
        #expect(seen.count == 8)
        for s in seen {
            let home = try #require(s[0], "a task preferring the executor starts on a loop")
            // Odd entries ran on the worker, even ones after it returned.
            #expect(s.enumerated().allSatisfy { $0.offset % 2 == 1 ? $0.element == nil : $0.element == home }, "\(s)")
        }
    }

    @Test func longWorkRunsOffTheLoop() async throws {
        let (before, inside, after) = try await withTaskExecutorPreference(EventLoopTaskExecutor(Self.loops)) {
            let before = Self.currentLoop()
            let inside = try await offEventLoop { Self.currentLoop() }
            return (before, inside, Self.currentLoop())
        }
        // Back on one of the loops: from the cooperative pool it cannot know which loop it came from.
        #expect(before != nil && inside == nil && after != nil)
    }

    /// Without a preference nothing changes: the pool resumes its caller where Swift's runtime puts it.
    @Test func withoutThePreferenceTasksStayOffTheLoops() async throws {
        let pool = BlockingWorkerPool<Int>(name: "t", threads: 1, acquireTimeout: 5) { 0 }
        defer { pool.shutdown() }
        _ = try await pool.run { _ in 0 }
        #expect(Self.currentLoop() == nil)
    }
}
