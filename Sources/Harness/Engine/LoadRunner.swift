import NIOCore
import NIOPosix

/// Runs a load plan to completion and returns what it measured. The public face of the engine.
public final class LoadRunner: Sendable {
    public let plan: LoadPlan
    private let group: MultiThreadedEventLoopGroup
    private let shards: [LoadEngineShard]
    private let collector: IntervalCollector

    /// Prepares a run; `sinks` see each 1 s interval as it completes.
    public init(plan: LoadPlan, sinks: [any IntervalSink] = []) {
        self.plan = plan
        let group = MultiThreadedEventLoopGroup(numberOfThreads: plan.threads)
        let collector = IntervalCollector(sinks: sinks, shards: plan.threads)
        let loops = Array(group.makeIterator())
        self.group = group
        self.collector = collector
        shards = (0..<plan.threads).map { LoadEngineShard(loop: loops[$0], plan: plan, shard: $0, shards: plan.threads, sinks: collector) }
    }

    /// Runs the schedule, waits for in-flight requests, and merges the shards' results.
    public func run() async throws -> RunResult {
        let futures = shards.map { $0.start() }
        var parts: [RunResult] = []
        for f in futures { parts.append(try await f.get()) }
        collector.flush()
        var merged = RunResult.merge(parts)
        merged.intervals = collector.rows
        try? await group.shutdownGracefully()
        return merged
    }

    /// Ends the run early (for SIGINT): what was measured so far is kept.
    public func interrupt() {
        shards.forEach { $0.interrupt() }
    }
}
