/// A shard's run: running, stopping (no new iterations, in-flight ones get a grace period), finished. Replaces
/// three flags whose combinations the engine had to keep consistent by hand.
struct ShardStateMachine {
    enum State: Equatable {
        case running
        case stopping(interrupted: Bool)
        case finished(interrupted: Bool)
    }

    private(set) var state = State.running

    /// New iterations and VUs may start.
    var running: Bool { state == .running }
    var finished: Bool { if case .finished = state { true } else { false } }
    var interrupted: Bool {
        switch state {
        case .running: false
        case .stopping(let i), .finished(let i): i
        }
    }

    enum StopAction: Equatable {
        /// Finish after `grace` seconds at the latest; at once if `now` (nothing in flight).
        case finish(grace: Double, now: Bool)
        case none
    }

    /// The schedule ended, or a signal came (`interrupt`). A second stop changes nothing but the record that the
    /// run was interrupted: the first grace period stands.
    mutating func stop(interrupt: Bool, grace: Double, inFlight: Int) -> StopAction {
        switch state {
        case .running:
            state = .stopping(interrupted: interrupt)
            return .finish(grace: grace, now: inFlight == 0)
        case .stopping(let i):
            state = .stopping(interrupted: i || interrupt)
            return .none
        case .finished:
            return .none
        }
    }

    /// An iteration ended with `inFlight` still running: true when that was the last one a stopping run waited for.
    func shouldFinish(inFlight: Int) -> Bool {
        if case .stopping = state { inFlight == 0 } else { false }
    }

    /// True the first time only: then the run's result is built, once.
    mutating func finish() -> Bool {
        switch state {
        case .running: state = .finished(interrupted: false)
        case .stopping(let i): state = .finished(interrupted: i)
        case .finished: return false
        }
        return true
    }
}
