import Glibc

/// The engine counts time in nanoseconds; the kernel's clocks, sleeps and timers speak timespec.
extension timespec {
    init(nanos: UInt64) {
        self.init(tv_sec: Int(nanos / 1_000_000_000), tv_nsec: Int(nanos % 1_000_000_000))
    }

    var nanos: Int64 { Int64(tv_sec) * 1_000_000_000 + Int64(tv_nsec) }
}
