import Foundation
import Harness

/// Where campaignd's CPU time went: `perf record` on its process during the run, folded stacks, a flame graph.
public struct ServerProfile: Sendable, Codable, Equatable {
    public struct Frame: Sendable, Codable, Equatable {
        public var name: String
        /// Share of samples with this function on top (self time) and anywhere in the stack (total time).
        public var selfPercent: Double
        public var totalPercent: Double
    }
    public var samples: Int
    /// The functions with the most samples on top, among samples in campaignd's own code and libraries.
    public var top: [Frame]
    /// Shares of samples by where the thread was: user space (the work), the kernel on its behalf (syscalls,
    /// network), and the scheduler switching it in or out (finish_task_switch...: the cost of waiting, not work).
    public var userPercent: Double?
    public var kernelPercent: Double?
    public var schedulerPercent: Double?
    /// Files in the run folder: folded stacks (flamegraph.pl's input format) and the SVG.
    public var foldedFile: String
    public var svgFile: String

    public init(samples: Int, top: [Frame], foldedFile: String, svgFile: String, userPercent: Double? = nil, kernelPercent: Double? = nil,
                schedulerPercent: Double? = nil) {
        self.userPercent = userPercent
        self.kernelPercent = kernelPercent
        self.schedulerPercent = schedulerPercent
        self.samples = samples
        self.top = top
        self.foldedFile = foldedFile
        self.svgFile = svgFile
    }
}

/// Runs `perf record -g` for one process when perf works here; otherwise says why not.
public final class ServerProfiler: @unchecked Sendable {
    let pid: Int32
    let directory: String
    /// Decided once, so that `perf script` reads the recording the way `perf record` made it.
    let systemWide = ServerProfiler.systemWideAllowed
    private var process: ManagedProcess?
    public private(set) var unavailable: String?

    public init(pid: Int32, directory: String) {
        self.pid = pid
        self.directory = directory
    }

    static var perf: String? { ["/usr/bin/perf", "/usr/local/bin/perf"].first { FileManager.default.isExecutableFile(atPath: $0) } }
    /// Samples per second per CPU: 199 gave about 400 samples in a 20 s run, too few to see a 1% function.
    static let frequency = 997

    /// Record every CPU and keep campaignd's samples, where allowed: `perf record -p` (perf 6.1 here) spins at a
    /// whole core of system time once a thread it attached to exits (1.5 million wake-ups in an 18 s run), which
    /// took a core from the 2 the profiled run shares and made its p99 30 times the unprofiled run's.
    static var systemWideAllowed: Bool {
        geteuid() == 0 || (try? String(contentsOfFile: "/proc/sys/kernel/perf_event_paranoid", encoding: .utf8))
            .flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }.map { $0 <= 0 } == true
    }

    static func recordArguments(pid: Int32, output: String, systemWide: Bool) -> [String] {
        ["record", "-F", String(frequency), "-g"] + (systemWide ? ["-a"] : ["-p", String(pid)]) + ["-o", output]
    }

    static func scriptArguments(pid: Int32, input: String, systemWide: Bool) -> [String] {
        ["script", "-i", input] + (systemWide ? ["--pid", String(pid)] : [])
    }

    public func start() {
        guard let perf = Self.perf else { unavailable = "perf is not installed (apt-get install linux-perf)"; return }
        do {
            process = try ManagedProcess(name: "perf", executable: perf,
                                         arguments: Self.recordArguments(pid: pid, output: directory + "/perf.data", systemWide: systemWide),
                                         logPath: directory + "/perf.log")
        } catch {
            unavailable = "perf record did not start: \(error)"
        }
    }

    /// Stops recording and folds the stacks; nil (with `unavailable` set) when there is nothing to show.
    public func stop() -> ServerProfile? {
        guard let p = process else { return nil }
        kill(p.pid, SIGINT)
        p.stop(timeout: 20)
        guard let perf = Self.perf, let out = try? ManagedProcess.runToEnd(perf, Self.scriptArguments(pid: pid, input: directory + "/perf.data", systemWide: systemWide)), out.status == 0 else {
            unavailable = "perf record produced nothing (\(p.logTail(lines: 3)))"
            return nil
        }
        let profile = Self.profile(out.output)
        guard !profile.all.isEmpty else { unavailable = "perf recorded no samples of campaignd"; return nil }
        let folded = profile.user
        let text = folded.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: "\n") + "\n"
        try? text.write(toFile: directory + "/campaignd.folded", atomically: true, encoding: .utf8)
        let n = folded.values.reduce(0, +)
        try? FlameGraph.svg(folded, title: "campaignd CPU in user space (perf, \(n) of \(profile.samples) samples; kernel and scheduler apart)")
            .write(toFile: directory + "/flamegraph.svg", atomically: true, encoding: .utf8)
        try? FileManager.default.removeItem(atPath: directory + "/perf.data")
        let share = { (k: Int) in Double(k) / Double(max(profile.samples, 1)) * 100 }
        return ServerProfile(samples: profile.samples, top: Self.top(folded), foldedFile: "campaignd.folded", svgFile: "flamegraph.svg",
                             userPercent: share(n), kernelPercent: share(profile.kernel), schedulerPercent: share(profile.scheduler))
    }

    /// A profile's samples sorted by where each was taken, its stacks folded, and Swift names demangled.
    public struct Folded: Sendable {
        /// Every sample's whole stack.
        public var all: [String: Int]
        /// Samples whose leaf is in user space: the flame graph and the top table.
        public var user: [String: Int]
        public var kernel: Int
        public var scheduler: Int
        public var samples: Int { all.values.reduce(0, +) }
    }

    /// Kernel functions that are the scheduler switching threads: time spent there is waiting, not work.
    static let schedulerFrames: Set<String> = ["finish_task_switch", "finish_task_switch.isra.0", "__schedule", "schedule",
                                               "schedule_hrtimeout_range_clock", "__switch_to", "__switch_to_asm"]

    public static func profile(_ script: String, demangle: ([String]) -> [String: String] = Demangler.swift) -> Folded {
        let samples = parse(script)
        let names = demangle(Array(Set(samples.flatMap { $0.map(\.name) })).filter { $0.hasPrefix("$s") || $0.hasPrefix("_$s") })
        var out = Folded(all: [:], user: [:], kernel: 0, scheduler: 0)
        for frames in samples {
            let named = frames.map { f in (name: (names[f.name] ?? f.name).replacingOccurrences(of: ";", with: ":"), kernel: f.kernel) }
            let stack = Self.readable(named.reversed().map(\.name)).joined(separator: ";")
            out.all[stack, default: 0] += 1
            guard let leaf = named.first else { continue }
            if leaf.kernel {
                if Self.schedulerFrames.contains(leaf.name) { out.scheduler += 1 } else { out.kernel += 1 }
            } else {
                out.user[stack, default: 0] += 1
            }
        }
        return out
    }

    /// A function without a symbol (a library's local functions: Debian strips them) is named by its library,
    /// `[libcrypto.so.3]`: 10% of a send's samples read `[unknown]` at the top of the table, most of them
    /// OpenSSL's hashing and jemalloc's internals.
    static func named(_ symbol: String, in dso: Substring) -> String {
        guard symbol == "[unknown]", let library = dso.split(separator: "/").last, library != "[unknown]" else { return symbol }
        return "[\(library)]"
    }

    /// The deepest stacks here were towers of up to 127 unnamed frames (libraries without frame pointers): a run
    /// of the same one becomes one frame, and a stack keeps its 48 frames nearest the leaf, so the graph's
    /// height is the code's, not the unwinder's.
    static func readable(_ rootFirst: [String]) -> [String] {
        var out: [String] = []
        for f in rootFirst where !(f.hasPrefix("[") && out.last == f) { out.append(f) }
        return out.count > 48 ? ["[deeper frames]"] + out.suffix(47) : out
    }

    /// `perf script` output as samples, each its frames leaf first (name without offset, and whether it is the kernel's).
    static func parse(_ script: String) -> [[(name: String, kernel: Bool)]] {
        var out: [[(name: String, kernel: Bool)]] = []
        var frames: [(name: String, kernel: Bool)] = []
        func flush() {
            if !frames.isEmpty { out.append(frames) }
            frames = []
        }
        for line in script.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.isEmpty { flush(); continue }
            guard line.first == " " || line.first == "\t" else { flush(); continue }  // a sample's header line
            let parts = line.trimmingCharacters(in: .whitespaces).split(separator: " ", maxSplits: 1)
            guard parts.count == 2 else { continue }
            var sym = String(parts[1])
            let kernel = sym.hasSuffix("([kernel.kallsyms])")
            var dso: Substring = ""
            if let paren = sym.range(of: " (", options: .backwards) {
                dso = sym[paren.upperBound...].dropLast()
                sym = String(sym[..<paren.lowerBound])
            }
            if let plus = sym.range(of: "+0x", options: .backwards) { sym = String(sym[..<plus.lowerBound]) }
            frames.append((Self.named(sym, in: dso), kernel))
        }
        flush()
        return out
    }

    /// `perf script` output to folded stacks ("root;caller;callee count"), every sample, names as perf gave them.
    public static func fold(_ script: String) -> [String: Int] { profile(script, demangle: { _ in [:] }).all }

    /// The functions with the most samples on top of the stack, with their total share.
    static func top(_ folded: [String: Int], count: Int = 15) -> [ServerProfile.Frame] {
        let total = Double(folded.values.reduce(0, +))
        var selfCount: [String: Int] = [:], totalCount: [String: Int] = [:]
        for (stack, n) in folded {
            let frames = stack.split(separator: ";").map(String.init)
            if let leaf = frames.last { selfCount[leaf, default: 0] += n }
            for f in Set(frames) { totalCount[f, default: 0] += n }
        }
        return selfCount.sorted { $0.value > $1.value }.prefix(count).map {
            .init(name: $0.key, selfPercent: Double($0.value) / total * 100, totalPercent: Double(totalCount[$0.key] ?? 0) / total * 100)
        }
    }
}

/// Swift symbol names as people read them, from the toolchain's own `swift-demangle`.
public enum Demangler {
    /// Mangled name to its simplified form; names it cannot read are left out (shown as they are).
    public static func swift(_ names: [String]) -> [String: String] {
        guard !names.isEmpty, let tool = ["/usr/bin/swift-demangle", "/opt/swift/usr/bin/swift-demangle"].first(where: { FileManager.default.isExecutableFile(atPath: $0) })
                ?? findInPath("swift-demangle") else { return [:] }
        let input = NSTemporaryDirectory() + "mailstorm-symbols-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).txt"
        defer { try? FileManager.default.removeItem(atPath: input) }
        guard (try? (names.joined(separator: "\n") + "\n").write(toFile: input, atomically: true, encoding: .utf8)) != nil,
              let out = try? ManagedProcess.runToEnd("/bin/sh", ["-c", "exec \"$0\" --simplified --compact < \"$1\"", tool, input]),
              out.status == 0 else { return [:] }
        let lines = out.output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard lines.count >= names.count else { return [:] }
        return Dictionary(zip(names, lines.prefix(names.count)).filter { !$0.1.isEmpty && $0.0 != $0.1 }, uniquingKeysWith: { a, _ in a })
    }

    static func findInPath(_ name: String) -> String? {
        (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map { "\($0)/\(name)" }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}

/// A flame graph as self-contained SVG: each frame a box as wide as its share of samples, callers below callees.
public enum FlameGraph {
    final class Node {
        var count = 0
        var children: [String: Node] = [:]
    }

    public static func svg(_ folded: [String: Int], title: String, width: Double = 1200) -> String {
        let root = Node()
        for (stack, n) in folded {
            root.count += n
            var node = root
            for f in stack.split(separator: ";") {
                let child = node.children[String(f)] ?? Node()
                node.children[String(f)] = child
                child.count += n
                node = child
            }
        }
        var depthMax = 0
        var boxes = ""
        let rowH = 16.0, scale = width / Double(max(root.count, 1))
        func walk(_ n: Node, _ name: String, x: Double, depth: Int) {
            let w = Double(n.count) * scale
            guard w >= 0.5 else { return }
            depthMax = max(depthMax, depth)
            if depth > 0 {
                let hue = 10 + Double(name.utf8.reduce(0) { ($0 &* 31 &+ Int($1)) & 0xFFFF } % 40)
                let label = w > 30 ? String(name.prefix(Int(w / 7))) : ""
                boxes += "<g><title>\(XML.escape(name)) (\(n.count) samples, \(String(format: "%.2f", Double(n.count) / Double(max(root.count, 1)) * 100))%)</title>"
                boxes += "<rect x=\"\(String(format: "%.1f", x))\" y=\"{Y\(depth)}\" width=\"\(String(format: "%.1f", w))\" height=\"\(rowH - 1)\" fill=\"hsl(\(Int(hue)),90%,60%)\"/>"
                if !label.isEmpty { boxes += "<text x=\"\(String(format: "%.1f", x + 3))\" y=\"{T\(depth)}\" font-size=\"11\" font-family=\"monospace\">\(XML.escape(label))</text>" }
                boxes += "</g>"
            }
            var cx = x
            for (k, c) in n.children.sorted(by: { $0.key < $1.key }) {
                walk(c, k, x: cx, depth: depth + 1)
                cx += Double(c.count) * scale
            }
        }
        walk(root, "all", x: 0, depth: 0)
        let height = Double(depthMax + 2) * rowH + 20
        // Callers at the bottom: depth d sits d rows up from the bottom.
        for d in 1...max(depthMax, 1) {
            let y = height - Double(d + 1) * rowH
            boxes = boxes.replacingOccurrences(of: "{Y\(d)}", with: String(format: "%.0f", y))
                .replacingOccurrences(of: "{T\(d)}", with: String(format: "%.0f", y + 11))
        }
        return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\">"
            + "<text x=\"4\" y=\"14\" font-size=\"13\" font-family=\"sans-serif\">\(XML.escape(title))</text>" + boxes + "</svg>\n"
    }
}
