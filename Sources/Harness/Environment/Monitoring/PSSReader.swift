import Foundation

/// Reads proportional set sizes again only where they may have moved. One read walks every page the process maps
/// (/proc/<pid>/smaps_rollup: 10 ms of CPU a sweep of an idle stack's 21 PostgreSQL processes, 23 ms under load,
/// all charged to mailstorm's own figures), while RSS comes free with /proc/<pid>/stat. So a process's PSS is read
/// again once its RSS has moved by `step` bytes since the last read, or after `maxAge` seconds; between, that read
/// stands. RSS is the trigger because a page mapped or dropped moves both.
public struct PSSReader: Sendable {
    public let step: UInt64
    public let maxAge: Double
    private var last: [Int32: (rss: UInt64, pss: UInt64, at: Double)] = [:]
    /// smaps_rollup reads so far: what this saves is visible in tests.
    public private(set) var reads = 0

    public init(step: UInt64 = 1 << 20, maxAge: Double = 10) {
        self.step = step
        self.maxAge = maxAge
    }

    /// The PSS of `pid`, whose RSS is `rss` at `now` (seconds); nil when /proc offers none, and then RSS stands.
    public mutating func pss(_ pid: Int32, rss: UInt64, now: Double, read: (Int32) -> UInt64? = PSSReader.rollup) -> UInt64? {
        if let l = last[pid], now - l.at < maxAge, (rss > l.rss ? rss - l.rss : l.rss - rss) < step { return l.pss }
        reads += 1
        guard let p = read(pid) else { last[pid] = nil; return nil }
        last[pid] = (rss, p, now)
        return p
    }

    /// Forgets the processes not in `live`, so that a pid used again is read afresh.
    public mutating func keep(_ live: some Collection<Int32>) {
        let live = Set(live)
        last = last.filter { live.contains($0.key) }
    }

    /// The Pss line of /proc/<pid>/smaps_rollup, in bytes.
    public static func rollup(_ pid: Int32) -> UInt64? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/smaps_rollup", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("Pss:") }),
              let kb = UInt64(line.split(separator: " ").dropFirst().first ?? "") else { return nil }
        return kb * 1024
    }
}
