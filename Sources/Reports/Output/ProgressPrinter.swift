import Foundation
import Synchronization
import Harness

/// Live progress: on a TTY one line rewritten each second; otherwise (CI) a plain line every 10 s.
public final class ProgressPrinter: IntervalSink, @unchecked Sendable {
    // Called only from the interval collector's serial queue.
    private let tty: Bool
    private var errors: UInt64 = 0
    private var dropped: UInt64 = 0

    public init(tty: Bool = isatty(STDERR_FILENO) == 1) { self.tty = tty }

    public func intervalCompleted(_ s: IntervalSnapshot) {
        errors += s.errors
        dropped += s.dropped
        let elapsed = Double(s.startNanos + s.lengthNanos) / 1e9
        let total = Double(s.plannedNanos) / 1e9
        let line = String(format: "%5.0f/%.0f s  %8.1f req/s  p99 %8.2f ms  errors %llu  dropped %llu  in-flight %d",
                          elapsed, total, s.row.rps, s.row.p99Ms, errors, dropped, s.inFlight)
        if tty {
            FileHandle.standardError.write(Data("\r\u{1B}[K\(line)".utf8))
        } else if (s.index + 1) % 10 == 0 {
            FileHandle.standardError.write(Data("\(line)\n".utf8))
        }
    }

    /// A free-form progress line (send, import): rewritten on a TTY, every 10th printed otherwise.
    public static func line(_ text: String) {
        if isatty(STDERR_FILENO) == 1 {
            FileHandle.standardError.write(Data("\r\u{1B}[K\(text)".utf8))
        } else {
            let n = counter.withLock { c -> Int in c += 1; return c }
            if n % 10 == 0 { FileHandle.standardError.write(Data("\(text)\n".utf8)) }
        }
    }
    private static let counter = Mutex(0)

    public func runFinished() {
        if tty { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}
