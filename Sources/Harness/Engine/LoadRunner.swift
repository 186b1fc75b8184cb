/// Runs a load plan to completion and returns what it measured. The public face of the engine.
public final class LoadRunner: Sendable {
    public let plan: LoadPlan
    private let shards: [LoadEngineShard]
    private let collector: IntervalCollector

    /// Prepares a run; `sinks` see each 1 s interval as it completes.
    public init(plan: LoadPlan, sinks: [any IntervalSink] = []) {
        self.plan = plan
        let collector = IntervalCollector(sinks: sinks, shards: plan.threads)
        self.collector = collector
        shards = (0..<plan.threads).map { LoadEngineShard(plan: plan, shard: $0, shards: plan.threads, sinks: collector) }
    }

    /// Runs the schedule, each shard on a thread of its own, waits for in-flight requests, and merges the shards'
    /// results.
    public func run() async throws -> RunResult {
        var parts = [RunResult?](repeating: nil, count: shards.count)
        await withTaskGroup(of: (Int, RunResult).self) { group in
            for (i, shard) in shards.enumerated() { group.addTask { (i, await shard.run()) } }
            for await (i, part) in group { parts[i] = part }
        }
        collector.flush()
        var merged = RunResult.merge(parts.map { $0! })
        merged.intervals = collector.rows
        return merged
    }

    /// Ends the run early (for SIGINT): what was measured so far is kept.
    public func interrupt() {
        shards.forEach { $0.interrupt() }
    }
}
