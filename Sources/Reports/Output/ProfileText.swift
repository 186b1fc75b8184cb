import Harness
import Environment
import Foundation

/// The hottest functions of campaignd's perf profile.
public enum ProfileText {
    public static func rows(_ p: ServerProfile) -> [[String]] {
        p.top.prefix(15).map { [String(format: "%.1f%%", $0.selfPercent), String(format: "%.1f%%", $0.totalPercent), String($0.name.prefix(120))] }
    }

    /// "user space 81.2%, kernel 12.0% (syscalls, network), scheduler 6.8% (switching threads: waits, not work)".
    public static func shares(_ p: ServerProfile) -> String? {
        guard let u = p.userPercent, let k = p.kernelPercent, let sch = p.schedulerPercent else { return nil }
        return String(format: "samples in user space %.1f%% (the table and the graph), kernel %.1f%% (syscalls, network), scheduler %.1f%% (switching threads: waits, not work)", u, k, sch)
    }

    public static func render(_ p: ServerProfile) -> String {
        "campaignd CPU profile: \(p.samples) samples (flame graph: \(p.svgFile), folded stacks: \(p.foldedFile))\n"
            + (shares(p).map { $0 + "\n" } ?? "")
            + Table.render(header: ["self", "total", "function"], rows: rows(p))
    }
}
