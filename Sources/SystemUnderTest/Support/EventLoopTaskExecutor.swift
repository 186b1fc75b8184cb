import NIOCore

/// Runs the tasks that prefer it on the SwiftNIO event loop that woke them: a request's handler runs on the loop
/// that read the request, and its response is written without leaving it.
///
/// Without it every request hops from its loop to Swift's cooperative pool and back: two more thread wake-ups.
/// `BlockingWorkerPool` resumes its callers on their loop, so a request crosses threads only to reach a database
/// or Redis worker and back.
public final class EventLoopTaskExecutor: TaskExecutor {
    public let group: any EventLoopGroup

    public init(_ group: any EventLoopGroup) {
        self.group = group
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        // On one of the group's loops `any()` is that loop, and this only queues; elsewhere it picks one and wakes it.
        group.any().execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}

/// Runs `body` on Swift's cooperative pool: for work of milliseconds or more of CPU (an import's parse), which on
/// an event loop would stall its other connections and the child tasks that overlap with it.
func offEventLoop<T: Sendable>(_ body: () async throws -> T) async throws -> T {
    try await withTaskExecutorPreference(globalConcurrentExecutor, operation: body)
}
