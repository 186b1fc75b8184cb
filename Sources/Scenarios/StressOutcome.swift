import Foundation
import Harness

/// What a stress search found, in journey iterations per second.
public struct StressOutcome: ScenarioResult, Equatable {
    public static let key = "stress"
    public static let title = "Stress search"

    public var steps: [StepResult]
    public var knee: Double?
    public var breaking: Double?
    /// Measured request throughput at the knee step.
    public var kneeRequestsPerSecond: Double?

    public init(steps: [StepResult], knee: Double?, breaking: Double?, kneeRequestsPerSecond: Double?) {
        self.steps = steps
        self.knee = knee
        self.breaking = breaking
        self.kneeRequestsPerSecond = kneeRequestsPerSecond
    }

    public var table: ResultTable? {
        ResultTable(header: ["iterations/s", "req/s", "p99 ms", "errors", "dropped", "SLO"], rows: steps.map {
            [String(format: "%.1f", $0.rate), String(format: "%.1f", $0.throughput), String(format: "%.2f", $0.p99Ms),
             String(format: "%.2f%%", $0.errorRate * 100), String(format: "%.2f%%", $0.droppedRate * 100), $0.pass ? "meets SLO" : "BREAKS"]
        })
    }

    public func render() -> String {
        "knee: " + (knee.map { String(format: "%.1f iterations/s", $0) } ?? "none (the first step broke the SLO)")
            + (kneeRequestsPerSecond.map { String(format: " (%.1f req/s measured)", $0) } ?? "")
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
