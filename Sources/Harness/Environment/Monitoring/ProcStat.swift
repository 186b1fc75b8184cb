import Foundation
import Harness

/// One process's figures read from /proc: CPU time, resident memory, threads and open files.
public struct ProcStat: Sendable, Equatable {
    public var pid: Int32
    public var parent: Int32
    public var cpuSeconds: Double
    /// Proportional set size when /proc offers it (smaps_rollup), else resident set size.
    public var rssBytes: UInt64
    public var threads: Int
    public var fds: Int
    /// CPU of children it has reaped (cutime + cstime), part of `cpuSeconds`.
    public var reapedSeconds: Double = 0

    /// Parses /proc/<pid>/stat. The command name (field 2) may hold spaces and parentheses, so fields are
    /// counted from the last ')'.
    public static func parse(stat text: String, pid: Int32, ticksPerSecond: Double, pageSize: UInt64) -> ProcStat? {
        guard let f = fields(stat: text) else { return nil }
        // After the name: state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14) ... num_threads(17) ... rss pages(21).
        // cutime and cstime hold children already reaped (PostgreSQL backends that ended), so a tree's CPU
        // does not shrink when one of them exits.
        guard f.count > 21, let ppid = Int32(f[1]), let ut = Double(f[11]), let st = Double(f[12]),
              let cut = Double(f[13]), let cst = Double(f[14]), let th = Int(f[17]), let rss = UInt64(f[21]) else { return nil }
        return ProcStat(pid: pid, parent: ppid, cpuSeconds: (ut + st + cut + cst) / ticksPerSecond, rssBytes: rss * pageSize, threads: th, fds: 0,
                        reapedSeconds: (cut + cst) / ticksPerSecond)
    }

    /// The fields of /proc/<pid>/stat after the command name (field 2), which may hold spaces and parentheses.
    static func fields(stat text: String) -> [Substring]? {
        guard let close = text.lastIndex(of: ")") else { return nil }
        return text[text.index(after: close)...].split(separator: " ")
    }

    /// The same fields of a live process, or nil if it is gone.
    static func fields(_ pid: Int32) -> [Substring]? {
        (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)).flatMap { fields(stat: $0) }
    }

    /// Alive and not a zombie (state Z: exited, not yet reaped by its parent).
    public static func isRunning(_ pid: Int32) -> Bool {
        guard let state = fields(pid)?.first else { return false }
        return state != "Z"
    }

    /// Reads a live process, or nil if it is gone; its memory is PSS, read through `pss` at `now` (seconds).
    public static func read(_ pid: Int32, pss: inout PSSReader, now: Double) -> ProcStat? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              var s = parse(stat: text, pid: pid, ticksPerSecond: Double(sysconf(Int32(_SC_CLK_TCK))), pageSize: UInt64(sysconf(Int32(_SC_PAGESIZE)))) else { return nil }
        s.fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? 0
        // PSS splits shared pages (PostgreSQL's shared_buffers) among the processes mapping them, so a tree's sum
        // does not count them once per backend; RSS would.
        if let p = pss.pss(pid, rss: s.rssBytes, now: now) { s.rssBytes = p }
        return s
    }

    /// Reads a live process with a fresh PSS, or nil if it is gone.
    public static func read(_ pid: Int32) -> ProcStat? {
        var pss = PSSReader()
        return read(pid, pss: &pss, now: 0)
    }

    /// Every live process's parent, from one scan of /proc.
    public static func parentMap() -> [Int32: Int32] {
        var parents: [Int32: Int32] = [:]
        for p in ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap(Int32.init) {
            if let f = fields(p), f.count > 1, let pp = Int32(f[1]) { parents[p] = pp }
        }
        return parents
    }

    /// A process and all its descendants (PostgreSQL's backends are children of the postmaster), summed.
    /// `parents` comes from `parentMap()`, read once per sample for every tree.
    public static func readTree(_ root: Int32, parents: [Int32: Int32], pss: inout PSSReader, now: Double) -> ProcStat? {
        sumTree(root, parents: parents) { read($0, pss: &pss, now: now) }
    }

    /// A child reaped after the root was read and before its own read counts nowhere: its CPU has moved into the
    /// root's cutime, already read. The sum dips by it and comes back at the next sample; when a send began as the
    /// seeder's backends ended, postgres "used" 19 s of CPU in 1.1 s. So while the root's reaped-children time
    /// moved during a read, the tree is read again (3 reads at most).
    static func sumTree(_ root: Int32, parents: [Int32: Int32], read: (Int32) -> ProcStat?) -> ProcStat? {
        func descends(_ p: Int32) -> Bool {
            var cur = p, hops = 0
            while let pp = parents[cur], hops < 16 { if pp == root { return true }; cur = pp; hops += 1 }
            return false
        }
        let children = parents.keys.filter { $0 != root && descends($0) }
        guard var rootStat = read(root) else { return nil }
        var attempt = 1
        while true {
            var total = rootStat
            for p in children {
                guard let c = read(p) else { continue }
                total.cpuSeconds += c.cpuSeconds
                total.rssBytes += c.rssBytes
                total.threads += c.threads
                total.fds += c.fds
            }
            guard attempt < 3, let after = read(root), after.reapedSeconds != rootStat.reapedSeconds else { return total }
            rootStat = after
            attempt += 1
        }
    }
}
