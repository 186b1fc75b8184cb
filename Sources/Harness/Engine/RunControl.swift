import Foundation

/// Lets a signal handler stop whatever run is in progress, including one that has not started yet.
public final class RunControl: @unchecked Sendable {
    private let lock = NSLock()
    private var runner: LoadRunner?
    private var fired = false

    public init() {}

    /// Stops the attached run (now, or as soon as one is attached).
    public func interrupt() {
        lock.lock()
        fired = true
        let r = runner
        lock.unlock()
        r?.interrupt()
    }

    public var isInterrupted: Bool { lock.lock(); defer { lock.unlock() }; return fired }

    /// Attaches the run to stop; interrupts it at once if a stop was already asked for.
    public func attach(_ r: LoadRunner) {
        lock.lock()
        runner = r
        let f = fired
        lock.unlock()
        if f { r.interrupt() }
    }
}
