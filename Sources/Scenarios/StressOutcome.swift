import Foundation
import Harness

/// What a stress search found, in journey iterations per second.
public struct StressOutcome: ScenarioResult, Equatable {
    public static let key = "stress"
    public static let title = "Stress search"

    public var steps: [StepResult]
    public var knee: Double?
    public var breaking: Double?
    /// Measured request throughput at the knee: the mean of its passing steps, all of one length.
    public var kneeRequestsPerSecond: Double?
    /// The knee passed 2 fresh steps (of 2 or 3); nil in summaries from before the search confirmed knees.
    public var kneeConfirmed: Bool?

    public init(steps: [StepResult], knee: Double?, breaking: Double?, kneeRequestsPerSecond: Double?, kneeConfirmed: Bool?) {
        self.steps = steps
        self.knee = knee
        self.breaking = breaking
        self.kneeRequestsPerSecond = kneeRequestsPerSecond
        self.kneeConfirmed = kneeConfirmed
    }

    public init(_ found: StepSearch.Outcome) {
        let atKnee = found.steps.filter { $0.rate == found.knee && $0.pass }
        self.init(steps: found.steps, knee: found.knee, breaking: found.breaking,
                  kneeRequestsPerSecond: atKnee.isEmpty ? nil : atKnee.reduce(0) { $0 + $1.throughput } / Double(atKnee.count),
                  kneeConfirmed: found.knee == nil ? nil : found.kneeConfirmed)
    }

    /// How the knee's steps went ("met the SLO in 3 of 4 steps"), and whether the budget ran out before it was confirmed.
    var kneeTally: String? {
        guard let knee else { return nil }
        let there = steps.filter { $0.rate == knee }
        let tally = "met the SLO in \(there.filter(\.pass).count) of \(there.count) step\(there.count == 1 ? "" : "s")"
        return kneeConfirmed == false ? tally + ", not confirmed: the search ran out of steps" : tally
    }

    public var table: ResultTable? {
        ResultTable(header: ["iterations/s", "req/s", "p99 ms", "errors", "dropped", "SLO"], rows: steps.map { st in
            [String(format: "%.1f", st.rate), String(format: "%.1f", st.throughput), String(format: "%.2f", st.p99Ms),
             String(format: "%.2f%%", st.errorRate * 100), String(format: "%.2f%%", st.droppedRate * 100), st.pass ? "meets SLO" : "BREAKS"]
        })
    }

    public func render() -> String {
        "knee: " + (knee.map { String(format: "%.1f iterations/s", $0) } ?? "none (the first step broke the SLO)")
            + (kneeRequestsPerSecond.map { String(format: " (%.1f req/s measured)", $0) } ?? "")
            + (kneeTally.map { " (\($0))" } ?? "")
            + "; breaking point: " + (breaking.map { String(format: "%.1f iterations/s", $0) } ?? "not reached") + "\n"
    }

    public var headline: String { "knee " + (knee.map { String(format: "%.1f it/s", $0) } ?? "none") }

    public var problems: [String] { knee == nil ? ["no step met the SLO (no knee)"] : [] }

    public var figures: [String: ScenarioFigure] {
        kneeRequestsPerSecond.map { ["stress_knee_rps": ScenarioFigure($0, higherIsBetter: true)] } ?? [:]
    }

    /// Each step where it began, labelled with its arrival rate.
    public var timelineMarkers: [ResultMarker] {
        steps.compactMap { st in st.startS.map { ResultMarker(x: $0, label: String(format: "%.0f/s", st.rate)) } }
    }

    public var comparesRequestMetrics: Bool { false }
}
