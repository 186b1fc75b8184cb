import Foundation
import Harness

/// What the machine spent outside a run while it ran: CPU of processes that are not the run's (a build,
/// another CI job) and, on a virtual machine, CPU the hypervisor gave to other guests (steal). Either slows a
/// trial without any change of code, so comparisons set such a trial aside (docs/regression-detection.md).
public struct HostLoad: Codable, Sendable, Equatable {
    /// Share of the machine (all its cores) used by processes outside the run, 0...1.
    public var other: Double
    /// Share of the machine stolen by the hypervisor, 0...1.
    public var steal: Double

    public init(other: Double, steal: Double) {
        self.other = other
        self.steal = steal
    }

    public var disturbance: Double { other + steal }

    /// A tenth of the machine: a quiet run here measures under 2% (kernel threads, the monitor's own reads
    /// are the run's), one busy core on two measures 50%.
    public static let limit = 0.10
    /// Steal alone has a far lower limit: the hypervisor freezes a vCPU outright, in bursts, whatever holds it
    /// (a lock, a request half served), where other processes only share the scheduler. Of 72 quiet trials here
    /// 71 saw at most 0.25% steal; the one with 2.6% was slower on every figure (overall p95 +25%, GET p95 +85%).
    public static let stealLimit = 0.01
    public var disturbed: Bool { disturbance > Self.limit || steal > Self.stealLimit }

    /// "other work plus steal above 10%, or steal above 1%".
    public static var limitsText: String {
        "the limits are \(Int(limit * 100))% of the CPUs for other work plus steal, \(Int(stealLimit * 100))% for steal alone"
    }

    /// "other processes 38% of the CPUs, steal 0.2%".
    public var description: String {
        String(format: "other processes %.0f%% of the CPUs, steal %.1f%%", other * 100, steal * 100)
    }
}

/// The machine-wide CPU counters of /proc/stat, in seconds.
public struct HostCPU: Sendable, Equatable {
    /// user + nice + system. irq and softirq are left out: the run's own loopback traffic is handled there,
    /// and no process's time includes it.
    public var busy: Double
    public var steal: Double
    public var cores: Int

    /// Parses /proc/stat: "cpu  user nice system idle iowait irq softirq steal ..." and one "cpuN" line per core.
    public static func parse(_ text: String, ticksPerSecond: Double) -> HostCPU? {
        let lines = text.split(separator: "\n")
        guard let total = lines.first(where: { $0.hasPrefix("cpu ") }) else { return nil }
        let f = total.split(separator: " ").dropFirst().compactMap { Double($0) }
        guard f.count >= 8 else { return nil }
        let cores = lines.filter { $0.hasPrefix("cpu") && !$0.hasPrefix("cpu ") }.count
        return HostCPU(busy: (f[0] + f[1] + f[2]) / ticksPerSecond, steal: f[7] / ticksPerSecond, cores: max(cores, 1))
    }

    public static func read() -> HostCPU? {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8) else { return nil }
        return parse(text, ticksPerSecond: Double(sysconf(Int32(_SC_CLK_TCK))))
    }

    /// The load between `self` and `later`, `elapsed` seconds apart, of which `ownSeconds` of CPU were the run's.
    public func load(to later: HostCPU, ownSeconds: Double, elapsed: Double) -> HostLoad? {
        let capacity = elapsed * Double(cores)
        guard capacity > 0 else { return nil }
        return HostLoad(other: min(max(later.busy - busy - ownSeconds, 0) / capacity, 1),
                        steal: min(max(later.steal - steal, 0) / capacity, 1))
    }
}
