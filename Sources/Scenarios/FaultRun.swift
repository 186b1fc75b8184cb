import Foundation
import Harness
import Environment

/// A run's fault timeline, carried out against its stack from the scenario's start, then judged against what
/// the load measured.
final class FaultRun: Sendable {
    let timeline: FaultTimeline
    let runner: FaultTimelineRunner
    let task: Task<Void, Never>
    /// When the timeline's second 0 was, to line its windows up with the load's own seconds.
    let origin: Date

    /// Starts `timeline` now; nil without one. Throws naming a fault this stack cannot carry out.
    init?(timeline: FaultTimeline?, stack: Stack?) throws {
        guard let timeline else { return nil }
        guard let stack else { throw StackError("faults need the embedded stack") }
        for f in timeline.faults { if let why = stack.cannotCarry(f) { throw StackError("fault '\(f)': \(why)") } }
        let runner = FaultTimelineRunner(timeline: timeline, target: stack)
        self.timeline = timeline
        self.runner = runner
        origin = Date()
        let start = ContinuousClock.now
        task = Task { await runner.run(origin: start) }
    }

    /// Ends every fault that began, so no server is left down.
    func stop() async {
        task.cancel()
        await task.value
    }

    /// Stops (a scenario can end before its last fault), then judges each fault against `result`'s seconds.
    func judge(_ result: RunResult, histograms: [Int: LatencyHistogram]) async -> FaultOutcome {
        await stop()
        let offset = result.startedAt.timeIntervalSince(origin)
        var windows = await runner.windows.map { w in
            FaultWindow(fault: w.fault, began: w.began - offset, ended: w.ended - offset, error: w.error)
        }
        for f in timeline.faults where !windows.contains(where: { $0.fault == f.description }) {
            windows.append(FaultWindow(fault: f.description, began: f.start - offset, ended: f.end - offset,
                                       error: "not carried out: the scenario ended first"))
        }
        return FaultOutcome.judge(windows: windows, intervals: result.intervals, histograms: histograms)
    }
}
