import CSpawn
import Foundation
import Harness

/// Samples CPU, memory (PSS, read again only where it may have moved: `PSSReader`), threads and open files of
/// named processes (with their children) once a second, on a thread of its own, and keeps a compact per-process
/// series and summary.
public final class ResourceMonitor: @unchecked Sendable {
    private let lock = NSLock()
    private let targets: @Sendable () -> [String: Int32]
    private var samples: [String: [ResourceRow]] = [:]
    /// The machine's counters at each sample, with the CPU seconds of every followed process by then.
    private var host: [(time: Date, cpu: HostCPU, own: Double)] = []
    private var stopped = false
    private let onSample: (@Sendable ([String: ResourceRow]) -> Void)?
    private let done = DispatchSemaphore(value: 0)

    /// `targets`: name to pid, each sampled with its descendants; `own`: names sampled alone (the harness,
    /// whose children are the servers). `onSample` receives each second's rows (to append them to disk as the run goes).
    private let own: Set<String>

    public convenience init(targets: [String: Int32], own: Set<String> = [], onSample: (@Sendable ([String: ResourceRow]) -> Void)? = nil) {
        self.init(following: { targets }, own: own, onSample: onSample)
    }

    /// `targets` is asked each second, so a server a planned fault restarted is followed to its new process.
    public init(following targets: @escaping @Sendable () -> [String: Int32], own: Set<String> = [],
                onSample: (@Sendable ([String: ResourceRow]) -> Void)? = nil) {
        self.targets = targets
        self.own = own
        self.onSample = onSample
    }

    public func start() {
        let t = Thread { [self] in
            // Foundation names the Thread object only; top, perf and /proc show the OS thread's name.
            pthread_setname_np(pthread_self(), "ms-resources")
            let t0 = Date()
            var last: [String: (time: Date, cpu: Double, pid: Int32, own: Double)] = [:]
            // CPU of a server's earlier processes (before a planned restart), so its series keeps adding up.
            var earlier: [String: Double] = [:]
            var pss = PSSReader()
            while true {
                lock.lock(); let stop = stopped; lock.unlock()
                if stop { break }
                var rows: [String: ResourceRow] = [:]
                let now = Date()
                let parents = ProcStat.parentMap()
                pss.keep(parents.keys)
                let at = now.timeIntervalSince(t0)
                for (name, pid) in targets() {
                    guard let s = own.contains(name) ? ProcStat.read(pid, pss: &pss, now: at)
                                                     : ProcStat.readTree(pid, parents: parents, pss: &pss, now: at) else { continue }
                    let prev = last[name]
                    if let prev, prev.pid != pid { earlier[name, default: 0] += prev.own }
                    let cpu = s.cpuSeconds + earlier[name, default: 0]
                    let cpuPercent = prev.map { max(cpu - $0.cpu, 0) / max(now.timeIntervalSince($0.time), 1e-3) * 100 } ?? 0
                    last[name] = (now, cpu, pid, s.cpuSeconds)
                    rows[name] = ResourceRow(t: now.timeIntervalSince(t0), cpuSeconds: cpu, cpuPercent: cpuPercent,
                                             memoryMb: Double(s.rssBytes) / 1_048_576, threads: s.threads, fds: s.fds)
                }
                let machine = HostCPU.read()
                lock.lock()
                for (n, r) in rows { samples[n, default: []].append(r) }
                if let machine { host.append((now, machine, rows.values.reduce(0) { $0 + $1.cpuSeconds })) }
                lock.unlock()
                onSample?(rows)
                Thread.sleep(forTimeInterval: 1)
            }
            done.signal()
        }
        t.name = "mailstorm-resources"
        t.start()
    }

    private var result: [String: ProcessResources]?

    /// The machine's CPU outside the followed processes between the first and last sample; nil before two
    /// samples. Meaningful only when the followed processes are the whole run (the embedded stack).
    public var hostLoad: HostLoad? {
        lock.lock(); defer { lock.unlock() }
        guard let a = host.first, let b = host.last, b.time > a.time else { return nil }
        return a.cpu.load(to: b.cpu, ownSeconds: b.own - a.own, elapsed: b.time.timeIntervalSince(a.time))
    }

    /// Stops sampling and returns the summary per process; safe to call again.
    public func stop() -> [String: ProcessResources] {
        lock.lock()
        if let r = result { lock.unlock(); return r }
        stopped = true
        lock.unlock()
        done.wait()
        lock.lock(); defer { lock.unlock() }
        let r = samples.compactMapValues(ProcessResources.init(rows:))
        result = r
        return r
    }
}

/// One process's figures for one second. `memoryMb` is PSS where the kernel offers it (see `ProcStat`).
public struct ResourceRow: Sendable, Codable, Equatable {
    public var t: Double
    public var cpuSeconds: Double
    public var cpuPercent: Double
    public var memoryMb: Double
    public var threads: Int
    public var fds: Int

    public init(t: Double, cpuSeconds: Double, cpuPercent: Double, memoryMb: Double, threads: Int, fds: Int) {
        self.t = t
        self.cpuSeconds = cpuSeconds
        self.cpuPercent = cpuPercent
        self.memoryMb = memoryMb
        self.threads = threads
        self.fds = fds
    }
}

/// A process's resource use over a run, with its per-second series for charts.
public struct ProcessResources: Sendable, Codable, Equatable {
    public var cpuSeconds: Double
    public var cpuPercentMean: Double
    public var memoryStartMb: Double
    public var memoryEndMb: Double
    public var memoryMaxMb: Double
    /// Least-squares slope of RSS over the run, KiB per second.
    public var memorySlopeKbPerS: Double
    public var threadsMax: Int
    public var fdsMax: Int
    public var series: [ResourceRow]

    public init?(rows: [ResourceRow]) {
        guard let first = rows.first, let last = rows.last else { return nil }
        cpuSeconds = last.cpuSeconds - first.cpuSeconds
        let span = last.t - first.t
        cpuPercentMean = span > 0 ? cpuSeconds / span * 100 : 0
        memoryStartMb = first.memoryMb
        memoryEndMb = last.memoryMb
        memoryMaxMb = rows.map(\.memoryMb).max() ?? 0
        threadsMax = rows.map(\.threads).max() ?? 0
        fdsMax = rows.map(\.fds).max() ?? 0
        let n = Double(rows.count)
        let mt = rows.reduce(0) { $0 + $1.t } / n, mr = rows.reduce(0) { $0 + $1.memoryMb } / n
        let sxx = rows.reduce(0) { $0 + ($1.t - mt) * ($1.t - mt) }
        memorySlopeKbPerS = sxx > 0 ? rows.reduce(0) { $0 + ($1.t - mt) * ($1.memoryMb - mr) } / sxx * 1024 : 0
        series = rows
    }
}
