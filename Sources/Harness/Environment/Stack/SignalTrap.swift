import Foundation
import Harness

/// Turns SIGINT and SIGTERM into an orderly stop: the first one calls `onFirst` (end the run, keep what was
/// measured); a second one tears every stack down and exits at once with 128+signal.
public final class SignalTrap: @unchecked Sendable {
    private var sources: [DispatchSourceSignal] = []
    private let lock = NSLock()
    private var count = 0
    public private(set) var received: Int32 = 0

    public init(onFirst: @escaping @Sendable (Int32) -> Void) {
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let src = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            src.setEventHandler { [weak self] in
                guard let self else { return }
                self.lock.lock()
                self.count += 1
                self.received = sig
                let n = self.count
                self.lock.unlock()
                if n == 1 { onFirst(sig) } else {
                    StackRegistry.shared.downAll()
                    exit(128 + sig)
                }
            }
            src.resume()
            sources.append(src)
        }
    }

    /// Whether a signal arrived.
    public var fired: Bool { lock.lock(); defer { lock.unlock() }; return count > 0 }
}
