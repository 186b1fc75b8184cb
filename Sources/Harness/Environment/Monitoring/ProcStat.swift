import Foundation
import Harness

/// One process's figures read from /proc: CPU time, resident memory, threads and open files.
public struct ProcStat: Sendable, Equatable {
    public var pid: Int32
    public var parent: Int32
    public var cpuSeconds: Double
    /// Memory: a process's proportional set size when /proc offers it (smaps_rollup), else its resident set
    /// size; a tree's as `readTree` says.
    public var rssBytes: UInt64
    public var threads: Int
    public var fds: Int
    /// The kernel's resident counters by kind, when /proc/<pid>/status could be read.
    public var resident: ResidentMemory? = nil

    /// Parses /proc/<pid>/stat. The command name (field 2) may hold spaces and parentheses, so fields are
    /// counted from the last ')'.
    public static func parse(stat text: String, pid: Int32, ticksPerSecond: Double, pageSize: UInt64) -> ProcStat? {
        guard let close = text.lastIndex(of: ")") else { return nil }
        let f = text[text.index(after: close)...].split(separator: " ")
        // After the name: state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14) ... num_threads(17) ... rss pages(21).
        // cutime and cstime hold children already reaped (PostgreSQL backends that ended), so a tree's CPU
        // does not shrink when one of them exits.
        guard f.count > 21, let ppid = Int32(f[1]), let ut = Double(f[11]), let st = Double(f[12]),
              let cut = Double(f[13]), let cst = Double(f[14]), let th = Int(f[17]), let rss = UInt64(f[21]) else { return nil }
        return ProcStat(pid: pid, parent: ppid, cpuSeconds: (ut + st + cut + cst) / ticksPerSecond, rssBytes: rss * pageSize, threads: th, fds: 0)
    }

    /// Reads a live process, or nil if it is gone. `pss`: also read its proportional set size (see `readTree`).
    public static func read(_ pid: Int32, pss: Bool = true) -> ProcStat? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              var s = parse(stat: text, pid: pid, ticksPerSecond: Double(sysconf(Int32(_SC_CLK_TCK))), pageSize: UInt64(sysconf(Int32(_SC_PAGESIZE)))) else { return nil }
        s.fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? 0
        s.resident = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)).flatMap(ResidentMemory.parse(status:))
        // PSS splits the pages a process shares with others among them, so a shared library is not counted whole.
        if pss, let rollup = try? String(contentsOfFile: "/proc/\(pid)/smaps_rollup", encoding: .utf8),
           let line = rollup.split(separator: "\n").first(where: { $0.hasPrefix("Pss:") }),
           let kb = UInt64(line.split(separator: " ").dropFirst().first ?? "") {
            s.rssBytes = kb * 1024
        }
        return s
    }

    /// Every live process's parent, from one scan of /proc.
    public static func parentMap() -> [Int32: Int32] {
        var parents: [Int32: Int32] = [:]
        for p in ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap(Int32.init) {
            if let text = try? String(contentsOfFile: "/proc/\(p)/stat", encoding: .utf8), let close = text.lastIndex(of: ")") {
                let f = text[text.index(after: close)...].split(separator: " ")
                if f.count > 1, let pp = Int32(f[1]) { parents[p] = pp }
            }
        }
        return parents
    }

    /// A process and all its descendants (PostgreSQL's backends are children of the postmaster), summed.
    /// `parents` comes from `parentMap()`, read once per sample for every tree.
    ///
    /// A lone process's memory is its PSS. A tree's is `ResidentMemory.ofTree`, from the kernel's counters: reading
    /// PSS walks each process's page tables, and PostgreSQL's backends each map 512 MB of shared buffers, so one
    /// sample of its tree cost 23 ms of CPU (46 ms a second in a 1M send, `perf record -a`), taken from the system
    /// being measured; the counters cost 0.7 ms. On one stack the two read 332 MB and 352 MB.
    public static func readTree(_ root: Int32, parents: [Int32: Int32]) -> ProcStat? {
        func descends(_ p: Int32) -> Bool {
            var cur = p, hops = 0
            while let pp = parents[cur], hops < 16 { if pp == root { return true }; cur = pp; hops += 1 }
            return false
        }
        let members = parents.keys.filter { $0 != root && descends($0) }
        guard !members.isEmpty else { return read(root) }
        guard var total = read(root, pss: false) else { return nil }
        var resident = [total.resident]
        for p in members {
            guard let c = read(p, pss: false) else { continue }
            total.cpuSeconds += c.cpuSeconds
            total.threads += c.threads
            total.fds += c.fds
            resident.append(c.resident)
        }
        total.rssBytes = ResidentMemory.ofTree(resident.compactMap { $0 }) ?? total.rssBytes
        return total
    }
}

/// A process's resident memory by kind, from /proc/<pid>/status: counters the kernel keeps, so reading them walks
/// nothing.
public struct ResidentMemory: Sendable, Equatable {
    public var anonBytes: UInt64
    public var fileBytes: UInt64
    public var shmemBytes: UInt64

    /// RssAnon, RssFile and RssShmem (kB); nil when any is missing.
    public static func parse(status: String) -> ResidentMemory? {
        var kb: [Substring: UInt64] = [:]
        for line in status.split(separator: "\n") where line.hasPrefix("Rss") {
            let f = line.split(whereSeparator: { $0 == ":" || $0 == " " || $0 == "\t" })
            if f.count >= 2, let v = UInt64(f[1]) { kb[f[0]] = v }
        }
        guard let a = kb["RssAnon"], let f = kb["RssFile"], let s = kb["RssShmem"] else { return nil }
        return ResidentMemory(anonBytes: a * 1024, fileBytes: f * 1024, shmemBytes: s * 1024)
    }

    /// What a tree of one program holds: each process's private memory, plus the files and the shared memory they
    /// all map, counted once (the largest of each). Summing RSS would count PostgreSQL's shared buffers once per
    /// backend.
    public static func ofTree(_ parts: [ResidentMemory]) -> UInt64? {
        guard !parts.isEmpty else { return nil }
        return parts.reduce(0) { $0 + $1.anonBytes } + (parts.map(\.fileBytes).max() ?? 0) + (parts.map(\.shmemBytes).max() ?? 0)
    }
}
