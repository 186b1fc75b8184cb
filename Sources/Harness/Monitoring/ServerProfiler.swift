import Foundation

/// Where campaignd's CPU time went: `perf record` on its process during the run, folded stacks, a flame graph.
public struct ServerProfile: Sendable, Codable, Equatable {
    public struct Frame: Sendable, Codable, Equatable {
        public var name: String
        /// Share of samples with this function on top (self time) and anywhere in the stack (total time).
        public var selfPercent: Double
        public var totalPercent: Double
    }
    public var samples: Int
    public var top: [Frame]
    /// Files in the run folder: folded stacks (flamegraph.pl's input format) and the SVG.
    public var foldedFile: String
    public var svgFile: String

    public init(samples: Int, top: [Frame], foldedFile: String, svgFile: String) {
        self.samples = samples
        self.top = top
        self.foldedFile = foldedFile
        self.svgFile = svgFile
    }
}

/// Runs `perf record -g` against one process when perf works here; otherwise says why not.
public final class ServerProfiler: @unchecked Sendable {
    let pid: Int32
    let directory: String
    private var process: ManagedProcess?
    public private(set) var unavailable: String?

    public init(pid: Int32, directory: String) {
        self.pid = pid
        self.directory = directory
    }

    static var perf: String? { ["/usr/bin/perf", "/usr/local/bin/perf"].first { FileManager.default.isExecutableFile(atPath: $0) } }

    public func start() {
        guard let perf = Self.perf else { unavailable = "perf is not installed (apt-get install linux-perf)"; return }
        do {
            process = try ManagedProcess(name: "perf", executable: perf,
                                         arguments: ["record", "-F", "199", "-g", "-p", String(pid), "-o", directory + "/perf.data"],
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
        guard let perf = Self.perf, let out = try? ManagedProcess.runToEnd(perf, ["script", "-i", directory + "/perf.data"]), out.status == 0 else {
            unavailable = "perf record produced nothing (\(p.logTail(lines: 3)))"
            return nil
        }
        let folded = Self.fold(out.output)
        guard !folded.isEmpty else { unavailable = "perf recorded no samples of campaignd"; return nil }
        let text = folded.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: "\n") + "\n"
        try? text.write(toFile: directory + "/campaignd.folded", atomically: true, encoding: .utf8)
        try? FlameGraph.svg(folded, title: "campaignd CPU (perf, \(folded.values.reduce(0, +)) samples)")
            .write(toFile: directory + "/flamegraph.svg", atomically: true, encoding: .utf8)
        try? FileManager.default.removeItem(atPath: directory + "/perf.data")
        return ServerProfile(samples: folded.values.reduce(0, +), top: Self.top(folded), foldedFile: "campaignd.folded", svgFile: "flamegraph.svg")
    }

    /// `perf script` output to folded stacks ("root;caller;callee count"), frames named by symbol without offsets.
    public static func fold(_ script: String) -> [String: Int] {
        var out: [String: Int] = [:]
        var frames: [String] = []
        func flush() {
            if !frames.isEmpty { out[frames.reversed().joined(separator: ";"), default: 0] += 1 }
            frames = []
        }
        for line in script.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.isEmpty { flush(); continue }
            guard line.first == " " || line.first == "\t" else { flush(); continue }  // a sample's header line
            let parts = line.trimmingCharacters(in: .whitespaces).split(separator: " ", maxSplits: 1)
            guard parts.count == 2 else { continue }
            var sym = String(parts[1])
            if let paren = sym.range(of: " (", options: .backwards) { sym = String(sym[..<paren.lowerBound]) }
            if let plus = sym.range(of: "+0x", options: .backwards) { sym = String(sym[..<plus.lowerBound]) }
            frames.append(sym.replacingOccurrences(of: ";", with: ":"))
        }
        flush()
        return out
    }

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
