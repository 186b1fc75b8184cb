import Foundation
import NIOPosix

/// Threads of its own for blocking C client calls (libpq, hiredis), so that no SwiftNIO event loop ever blocks.
///
/// Each worker owns one `Resource` (a connection) for its whole life, so a connection is only ever touched by
/// one thread and needs no lock; the pool's size is the connection count. A job that waits in the queue longer
/// than `acquireTimeout` fails with `PoolError.acquireTimeout` instead of running late. A caller on an event loop
/// is resumed on that loop, where `EventLoopTaskExecutor` goes on running its task without another hop.
public final class BlockingWorkerPool<Resource>: @unchecked Sendable {
    private struct Job {
        let enqueued: UInt64
        let run: (inout Resource?, Bool) -> Void
    }

    private let condition = NSCondition()
    private var jobs: [Job] = []
    private var head = 0
    private var stopped = false
    private let acquireTimeoutNanos: UInt64
    private let makeResource: @Sendable () -> Resource?
    /// Run on a worker's resource after `idleCheckSeconds` without a job; returns false to drop it (a broken
    /// connection is then replaced before the next job instead of failing it).
    private let healthCheck: (@Sendable (Resource) -> Bool)?
    private let idleCheckSeconds: Double
    public let size: Int
    private var busy = 0

    /// Starts `threads` workers; each creates its resource lazily with `makeResource` (nil: try again next job).
    public init(name: String, threads: Int, acquireTimeout: Double, idleCheckSeconds: Double = 30,
                healthCheck: (@Sendable (Resource) -> Bool)? = nil, makeResource: @escaping @Sendable () -> Resource?) {
        size = threads
        acquireTimeoutNanos = UInt64(acquireTimeout * 1e9)
        self.makeResource = makeResource
        self.healthCheck = healthCheck
        self.idleCheckSeconds = idleCheckSeconds
        for i in 0..<threads {
            let t = Thread { [self] in self.workerLoop() }
            t.name = "\(name)-\(i)"
            t.start()
        }
    }

    /// Workers busy right now and jobs waiting, for pool metrics.
    public var usage: (busy: Int, waiting: Int) {
        condition.lock(); defer { condition.unlock() }
        return (busy, jobs.count - head)
    }

    /// Runs `body` on a worker with its resource (nil when it could not be created) and returns its result.
    public func run<T: Sendable>(_ body: @escaping @Sendable (inout Resource?) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (cont: CheckedContinuation<T, Error>) in
            let home = MultiThreadedEventLoopGroup.currentEventLoop
            let job = Job(enqueued: DispatchTime.now().uptimeNanoseconds) { resource, expired in
                let result: Result<T, Error> = expired ? .failure(PoolError.acquireTimeout) : Result { try body(&resource) }
                guard let home else { cont.resume(with: result); return }
                home.execute { cont.resume(with: result) }
            }
            condition.lock()
            if stopped {
                condition.unlock()
                cont.resume(throwing: PoolError.shutDown)
                return
            }
            jobs.append(job)
            condition.signal()
            condition.unlock()
        }
    }

    /// Stops the workers after the queued jobs.
    public func shutdown() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    private func workerLoop() {
        var resource: Resource? = nil
        while true {
            condition.lock()
            while head == jobs.count && !stopped {
                if !condition.wait(until: Date().addingTimeInterval(idleCheckSeconds)), head == jobs.count, !stopped,
                   let check = healthCheck, let r = resource {
                    condition.unlock()
                    if !check(r) { resource = nil }
                    condition.lock()
                }
            }
            if head == jobs.count && stopped { condition.unlock(); return }
            let job = jobs[head]
            head += 1
            if head > 1024 && head * 2 > jobs.count { jobs.removeFirst(head); head = 0 }
            busy += 1
            condition.unlock()
            let expired = DispatchTime.now().uptimeNanoseconds - job.enqueued > acquireTimeoutNanos
            if resource == nil && !expired { resource = makeResource() }
            job.run(&resource, expired)
            condition.lock()
            busy -= 1
            condition.unlock()
        }
    }
}

/// Why a pool could not run a job.
public enum PoolError: Error, CustomStringConvertible {
    case acquireTimeout
    case shutDown
    public var description: String {
        switch self {
        case .acquireTimeout: "timed out waiting for a free connection"
        case .shutDown: "pool is shut down"
        }
    }
}
