import Foundation
import Harness

/// The faults of one run, checked against each other and the run's length before anything starts.
public struct FaultTimeline: Sendable, Equatable {
    public let faults: [FaultSpec]

    public enum Phase: Sendable, Equatable { case begin, end }

    /// One thing to do at one time: begin a fault, or end it (bring the component back, clean the network).
    public struct Step: Sendable, Equatable {
        public var at: Double
        public var phase: Phase
        public var fault: FaultSpec
    }

    /// Parses and checks `texts` for a run of `runSeconds`: every fault ends before the run does (its recovery
    /// is judged), and no component has two faults at once.
    public init(_ texts: [String], runSeconds: Double) throws(FaultSpecError) {
        var faults: [FaultSpec] = []
        for t in texts { faults.append(try FaultSpec(parsing: t)) }
        try self.init(faults, runSeconds: runSeconds)
    }

    public init(_ faults: [FaultSpec], runSeconds: Double) throws(FaultSpecError) {
        let sorted = faults.sorted { ($0.start, $0.component.rawValue) < ($1.start, $1.component.rawValue) }
        for f in sorted where f.end >= runSeconds {
            throw FaultSpecError("fault '\(f)' ends at \(FaultSpec.format(f.end)) s, not before the run does (\(FaultSpec.format(runSeconds)) s): its recovery could not be judged")
        }
        for (i, a) in sorted.enumerated() {
            for b in sorted[(i + 1)...] where b.component == a.component && b.start <= a.end {
                throw FaultSpecError("faults '\(a)' and '\(b)' overlap on \(a.component.rawValue)")
            }
        }
        self.faults = sorted
    }

    /// Begins and ends in time order; a fault with no duration ends right after it begins.
    public var steps: [Step] {
        faults.flatMap { [Step(at: $0.start, phase: .begin, fault: $0), Step(at: $0.end, phase: .end, fault: $0)] }
            .enumerated().sorted { ($0.element.at, $0.offset) < ($1.element.at, $1.offset) }.map(\.element)
    }
}

/// What carries a fault out: the stack (processes), the mail sink, the fault proxies.
public protocol FaultTarget: Sendable {
    /// Starts the fault; returns once it is in effect (the process is gone, the proxy drops).
    func begin(_ fault: FaultSpec) async throws
    /// Ends it; returns once the component is back and ready (PostgreSQL accepts connections again).
    func end(_ fault: FaultSpec) async throws
}

/// A fault as it happened: when it took effect and when its component was ready again, in seconds after the
/// load started, as measured (a restart's end is when the server answers again, not when it was asked to start).
public struct FaultWindow: Sendable, Equatable, Codable {
    public var fault: String
    public var began: Double
    public var ended: Double
    /// Why the fault could not be carried out, when it could not.
    public var error: String?

    public init(fault: String, began: Double, ended: Double, error: String? = nil) {
        self.fault = fault
        self.began = began
        self.ended = ended
        self.error = error
    }
}

/// Runs a timeline against a target from `origin` (the load's start), and keeps the measured windows.
public actor FaultTimelineRunner {
    let timeline: FaultTimeline
    let target: any FaultTarget
    private var began: [String: Double] = [:]
    private var errors: [String: String] = [:]
    /// Faults whose beginning failed: there is nothing to end (a restart would start a second server).
    private var notBegun: Set<String> = []
    public private(set) var windows: [FaultWindow] = []

    public init(timeline: FaultTimeline, target: any FaultTarget) {
        self.timeline = timeline
        self.target = target
    }

    /// Carries out every step at its time; returns when the last fault has ended, or when cancelled (then every
    /// fault that began is ended, so no component is left down).
    public func run(origin: ContinuousClock.Instant) async {
        var open: [FaultSpec] = []
        for step in timeline.steps {
            let due = origin + .milliseconds(Int64(step.at * 1000))
            if (try? await Task.sleep(until: due, clock: .continuous)) == nil { break }
            await carry(step, origin: origin)
            if step.phase == .begin { open.append(step.fault) } else { open.removeAll { $0 == step.fault } }
        }
        for f in open { await carry(.init(at: 0, phase: .end, fault: f), origin: origin) }
    }

    private func carry(_ step: FaultTimeline.Step, origin: ContinuousClock.Instant) async {
        let name = step.fault.description
        do {
            switch step.phase {
            case .begin: try await target.begin(step.fault)
            case .end: if !notBegun.contains(name) { try await target.end(step.fault) }
            }
        } catch {
            if step.phase == .begin { notBegun.insert(name) }
            errors[name] = errors[name] ?? "\(step.phase == .begin ? "beginning" : "ending") it failed: \(error)"
        }
        let now = Self.seconds(since: origin)
        switch step.phase {
        case .begin: began[name] = now
        case .end: windows.append(FaultWindow(fault: name, began: began[name] ?? now, ended: now, error: errors[name]))
        }
    }

    static func seconds(since origin: ContinuousClock.Instant) -> Double {
        let d = ContinuousClock.now - origin
        return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}
