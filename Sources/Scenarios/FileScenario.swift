import Foundation
import Harness
import Environment
import Yams

/// A user-defined scenario from a YAML file: journeys with weights, a workload model, and k6-style thresholds.
///
/// Errors name the file, the line and the field. See docs/scenario-files.md for the format.
public struct FileScenario: Scenario {
    public let name: String
    public let purpose: String
    public let path: String
    /// One load, judged by its requests alone: `--segment` may split it.
    public var divisible: Bool { true }
    let workload: Workload
    let describe: String
    let journeys: [Journey]
    let session: SessionSpec?
    let think: ThinkTime
    let timeout: Double
    let variables: [[String: String]]
    public let thresholds: [ThresholdSpec]
    /// The target named in the file, if any (--target overrides it).
    public let target: String?
    /// Whether the scenario needs the seeded users (it uses {{email}} and {{password}} without defining them).
    let seedUsers: Bool

    public func plan(profile: Profile, overrides: Overrides) throws(UsageError) -> ScenarioPlan {
        if !overrides.isEmpty {
            // The file read again with the settings in place of its own, so they are checked as the file's are.
            do { return try FileScenario(path: path, overrides: overrides).plan(profile: profile, overrides: .none) }
            catch let e as UsageError { throw e } catch { throw UsageError("\(error)") }
        }
        return ScenarioPlan(workload: workload, journeys: journeys, think: think, requestTimeoutSeconds: timeout,
                            seed: SeedRequest(contacts: seedUsers ? 1000 : 0), kpiSet: "none", describe: describe,
                            thresholds: thresholds, session: session)
    }

    public func execute(_ ctx: ScenarioContext, plan: ScenarioPlan) async throws -> ScenarioExecution {
        if variables.isEmpty { return ScenarioExecution(result: try await ctx.load(plan)) }
        // The file's own variable rows replace the seeded users.
        return ScenarioExecution(result: try await ctx.load(plan, variables: variables))
    }

    /// Reads and validates `path`; `overrides` (`--duration`, `--rate`, `--vus`) replace the workload's own.
    public init(path: String, overrides: Overrides = .none) throws {
        self.path = path
        let file = (path as NSString).lastPathComponent
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw UsageError("cannot read scenario file '\(path)'") }
        let root: Node
        do {
            guard let n = try Yams.compose(yaml: text) else { throw UsageError("\(file): the file is empty") }
            root = n
        } catch let e as UsageError {
            throw e
        } catch {
            throw UsageError("\(file): not valid YAML: \(error)")
        }
        let r = Reader(file: file)
        let top = try r.mapping(root, "the file", keys: ["name", "description", "target", "workload", "think", "timeout", "variables", "session", "journeys", "thresholds"])
        name = try top["name"].map { n in
            let v = try r.string(n, "name")
            // It names the run's folder: one plain path component.
            guard !v.isEmpty, v.count <= 64, v.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }), v != ".", v != ".." else {
                throw UsageError("\(r.at(n, "name")) must be 1 to 64 letters, digits, '.', '_' or '-', not '\(v)'")
            }
            return v
        } ?? String(((file as NSString).lastPathComponent as NSString).deletingPathExtension.map { $0.isLetter || $0.isNumber || "._-".contains($0) ? $0 : "_" })
        purpose = try top["description"].map { try r.string($0, "description") } ?? "User-defined scenario from \(file)"
        target = try top["target"].map { try r.string($0, "target") }
        timeout = try top["timeout"].map { try r.duration($0, "timeout", in: Overrides.timeouts) } ?? 10
        guard let w = top["workload"] else { throw UsageError("\(file): missing field 'workload'") }
        (workload, describe) = try r.workload(w, timeout: timeout, overrides: overrides, scenario: name)
        think = try top["think"].map { try r.think($0) } ?? .none
        variables = try top["variables"].map { try r.variables($0) } ?? []
        guard let j = top["journeys"] else { throw UsageError("\(file): missing field 'journeys'") }
        journeys = try r.journeys(j)
        session = try top["session"].map { try r.session($0) }
        thresholds = try top["thresholds"].map { try r.thresholds($0) } ?? []
        let usesUserVars = (journeys.flatMap(\.steps) + (session?.setup ?? [])).contains { s in
            ([s.path, s.body ?? ""] + s.headers.map(\.1)).contains { $0.contains("{{email}}") || $0.contains("{{password}}") } }
        seedUsers = usesUserVars && variables.isEmpty
    }
}

/// Walks the YAML node tree; every error carries file:line and the field's path.
struct Reader {
    /// VUs a file may ask for: each is a task and a connection; beyond this it is a typo, not a plan.
    static let maxVUs = 100_000
    let file: String

    func at(_ n: Node, _ field: String) -> String { "\(file):\(n.mark?.line ?? 0): \(field)" }

    func mapping(_ n: Node, _ field: String, keys: Set<String>) throws -> [String: Node] {
        guard let m = n.mapping else { throw UsageError("\(at(n, field)) must be a mapping") }
        var out: [String: Node] = [:]
        for (k, v) in m {
            guard let key = k.string, keys.contains(key) else {
                throw UsageError("\(at(k, field)): unknown field '\(k.string ?? "?")' (known: \(keys.sorted().joined(separator: ", ")))")
            }
            out[key] = v
        }
        return out
    }

    func string(_ n: Node, _ field: String) throws -> String {
        guard let s = n.scalar?.string else { throw UsageError("\(at(n, field)) must be a string") }
        return s
    }

    func number(_ n: Node, _ field: String, positive: Bool = true) throws -> Double {
        guard let v = n.float ?? n.int.map(Double.init), v.isFinite, !positive || v > 0 else {
            throw UsageError("\(at(n, field)) must be a \(positive ? "positive " : "")number, not '\(n.scalar?.string ?? "?")'")
        }
        return v
    }

    /// A rate (or a VU stage's target), up to what `--set rate=` allows: 1e308 must be an error, not a crash.
    func perSecond(_ n: Node, _ field: String, positive: Bool = true) throws -> Double {
        let v = try number(n, field, positive: positive)
        guard v <= Overrides.rates.upperBound else { throw UsageError("\(at(n, field)) must be at most \(Overrides.text(Overrides.rates.upperBound))") }
        return v
    }

    /// A whole number from `least` to `most`: counts such as VUs, where 1e30 must be an error, not a crash.
    func count(_ n: Node, _ field: String, least: Int = 1, most: Int) throws -> Int {
        let v = try number(n, field, positive: least > 0)
        guard v == v.rounded(), v >= Double(least), v <= Double(most) else {
            throw UsageError("\(at(n, field)) must be a whole number from \(least) to \(most), not '\(n.scalar?.string ?? "?")'")
        }
        return Int(v)
    }

    /// A positive duration; `range`, when given, is what `--set` allows for the same setting.
    func duration(_ n: Node, _ field: String, in range: ClosedRange<Double>? = nil) throws -> Double {
        guard let s = n.scalar?.string, let d = DurationText.seconds(s), d > 0 else {
            throw UsageError("\(at(n, field)) must be a duration like 30s, 5m or 1h, not '\(n.scalar?.string ?? "?")'")
        }
        if let range, !range.contains(d) {
            throw UsageError("\(at(n, field)) must be from \(DurationText.text(range.lowerBound)) to \(DurationText.text(range.upperBound)), not '\(s)'")
        }
        return d
    }

    func workload(_ n: Node, timeout: Double, overrides: Overrides, scenario: String) throws -> (Workload, String) {
        var m = try mapping(n, "workload", keys: ["model", "rate", "duration", "stages", "vus", "max_in_flight"])
        let model = try m["model"].map { try string($0, "workload.model") } ?? "open"
        if !overrides.isEmpty {
            try overrides.check(known: model == "closed" ? ["vus", "duration"] : ["rate", "duration"], scenario: scenario)
            guard m["stages"] == nil else {
                throw UsageError("\(file): the workload has stages; --duration, --rate and --vus set a constant workload, so edit the stages instead")
            }
            if model == "closed" { _ = try overrides.count("vus", 1, in: 1...Self.maxVUs) } else { _ = try overrides.number("rate", 1, in: Overrides.rates) }
            _ = try overrides.duration("duration", 1)
            for key in ["rate", "duration", "vus"] { if let v = overrides.values[key] { m[key] = Node(v) } }
        }
        func stages(_ n: Node) throws -> [(Double, Double)] {
            guard let seq = n.sequence, !seq.isEmpty else { throw UsageError("\(at(n, "workload.stages")) must be a non-empty list") }
            var out: [(Double, Double)] = []
            for (i, s) in seq.enumerated() {
                let sm = try mapping(s, "workload.stages[\(i)]", keys: ["target", "duration"])
                guard let t = sm["target"], let d = sm["duration"] else { throw UsageError("\(at(s, "workload.stages[\(i)]")) needs target and duration") }
                // A VU stage's target becomes a count; a rate's stays a rate, but neither may be absurd.
                let target = try perSecond(t, "workload.stages[\(i)].target", positive: false)
                out.append((target, try duration(d, "workload.stages[\(i)].duration")))
            }
            return out
        }
        switch model {
        case "open":
            if let st = m["stages"] {
                let s = try stages(st)
                let start = try m["rate"].map { try perSecond($0, "workload.rate", positive: false) } ?? 0
                let peak = max(start, s.map(\.0).max() ?? 0)
                let inFlight = try m["max_in_flight"].map { try count($0, "workload.max_in_flight", most: LoadPlan.maxInFlightLimit) }
                    ?? LoadPlan.defaultMaxInFlight(rate: peak, timeoutSeconds: timeout)
                return (.open(pacer: RampingRate(startRate: start, stages: s.map { RateStage(target: $0.0, durationSeconds: $0.1) }), maxInFlight: inFlight),
                        "open model, \(s.count) rate stages from \(start) it/s, peak \(peak) it/s")
            }
            guard let r = m["rate"], let d = m["duration"] else { throw UsageError("\(at(n, "workload")): the open model needs rate and duration, or stages") }
            let rate = try perSecond(r, "workload.rate"), dur = try duration(d, "workload.duration", in: Overrides.phases)
            let inFlight = try m["max_in_flight"].map { try count($0, "workload.max_in_flight", most: LoadPlan.maxInFlightLimit) } ?? LoadPlan.defaultMaxInFlight(rate: rate, timeoutSeconds: timeout)
            return (.open(pacer: ConstantRate(perSecond: rate, durationSeconds: dur), maxInFlight: inFlight), "\(rate) iterations/s for \(dur) s, open model")
        case "closed":
            if let st = m["stages"] {
                let s = try stages(st)
                let start = try m["vus"].map { try count($0, "workload.vus", least: 0, most: Self.maxVUs) } ?? 0
                return (.closed(startVUs: start, stages: s.map { VUStage(target: Int($0.0), durationSeconds: $0.1) }),
                        "closed model, \(s.count) VU stages from \(start) VUs")
            }
            guard let v = m["vus"], let d = m["duration"] else { throw UsageError("\(at(n, "workload")): the closed model needs vus and duration, or stages") }
            let vus = try count(v, "workload.vus", most: Self.maxVUs), dur = try duration(d, "workload.duration", in: Overrides.phases)
            return (.closed(startVUs: vus, stages: [VUStage(target: vus, durationSeconds: dur)]), "\(vus) VUs for \(dur) s, closed model")
        default:
            throw UsageError("\(at(m["model"]!, "workload.model")) must be open or closed, not '\(model)'")
        }
    }

    func think(_ n: Node) throws -> ThinkTime {
        if n.scalar != nil { return .constant(seconds: try duration(n, "think")) }
        let m = try mapping(n, "think", keys: ["min", "max", "mean"])
        if let mean = m["mean"] { return .exponential(mean: try duration(mean, "think.mean")) }
        guard let lo = m["min"], let hi = m["max"] else { throw UsageError("\(at(n, "think")) needs min and max, or mean") }
        let (a, b) = (try duration(lo, "think.min"), try duration(hi, "think.max"))
        guard a <= b else { throw UsageError("\(at(hi, "think.max")) must not be below think.min") }
        return .uniform(min: a, max: b)
    }

    func variables(_ n: Node) throws -> [[String: String]] {
        guard let seq = n.sequence else { throw UsageError("\(at(n, "variables")) must be a list of mappings") }
        var rows: [[String: String]] = []
        for (i, row) in seq.enumerated() {
            guard let m = row.mapping else { throw UsageError("\(at(row, "variables[\(i)]")) must be a mapping") }
            var out: [String: String] = [:]
            for (k, v) in m { out[k.string ?? ""] = try string(v, "variables[\(i)].\(k.string ?? "?")") }
            rows.append(out)
        }
        return rows
    }

    func journeys(_ n: Node) throws -> [Journey] {
        guard let seq = n.sequence, !seq.isEmpty else { throw UsageError("\(at(n, "journeys")) must be a non-empty list") }
        var out: [Journey] = []
        for (i, j) in seq.enumerated() {
            let f = "journeys[\(i)]"
            let m = try mapping(j, f, keys: ["name", "weight", "steps"])
            guard let stepsNode = m["steps"], let steps = stepsNode.sequence, !steps.isEmpty else {
                throw UsageError("\(at(j, f)): needs a non-empty 'steps' list")
            }
            var list: [Step] = []
            for (k, s) in steps.enumerated() { list.append(try step(s, "\(f).steps[\(k)]")) }
            out.append(Journey(name: try m["name"].map { try string($0, "\(f).name") } ?? "journey\(i + 1)",
                               weight: try m["weight"].map { try number($0, "\(f).weight") } ?? 1, steps: list))
        }
        return out
    }

    /// `session: {setup: [steps], iterations: 20-50}` (or a single number of iterations).
    func session(_ n: Node) throws -> SessionSpec {
        let m = try mapping(n, "session", keys: ["setup", "iterations"])
        guard let setupNode = m["setup"], let steps = setupNode.sequence, !steps.isEmpty else {
            throw UsageError("\(at(n, "session")): needs a non-empty 'setup' list (the steps that start a session, such as a login)")
        }
        let setup = try steps.enumerated().map { try step($1, "session.setup[\($0)]") }
        guard let it = m["iterations"] else { throw UsageError("\(at(n, "session")): needs 'iterations', e.g. 20-50") }
        let text = it.scalar?.string ?? ""
        let parts = text.split(separator: "-", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard (1...2).contains(parts.count), let lo = parts.first ?? nil, let hi = parts.last ?? nil, lo >= 1, hi >= lo, hi <= 1_000_000 else {
            throw UsageError("\(at(it, "session.iterations")) must be a count or a range such as 20-50 (1 or more), not '\(text)'")
        }
        return SessionSpec(setup: setup, iterations: lo...hi)
    }

    func step(_ n: Node, _ f: String) throws -> Step {
        let m = try mapping(n, f, keys: ["name", "method", "path", "headers", "body", "extract", "expect"])
        let method = try m["method"].map { try string($0, "\(f).method").uppercased() } ?? "GET"
        guard ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"].contains(method) else {
            throw UsageError("\(at(m["method"]!, "\(f).method")) '\(method)' is not an HTTP method")
        }
        guard let p = m["path"] else { throw UsageError("\(at(n, f)): missing field 'path'") }
        let path = try string(p, "\(f).path")
        guard path.hasPrefix("/") else { throw UsageError("\(at(p, "\(f).path")) must start with '/'") }
        var headers: [(String, String)] = []
        if let h = m["headers"] {
            guard let hm = h.mapping else { throw UsageError("\(at(h, "\(f).headers")) must be a mapping") }
            for (k, v) in hm {
                let name = k.string ?? "", value = try string(v, "\(f).headers.\(name)")
                // A CR or LF would end the header and start another (or the body): request smuggling from a file.
                // Bytes, not Characters: "\r\n" is one Character, equal to neither "\r" nor "\n".
                guard !name.isEmpty, !(name + value).utf8.contains(where: { $0 == 13 || $0 == 10 || $0 == 0 }),
                      !name.contains(where: { $0 == ":" || $0 == " " }) else {
                    throw UsageError("\(at(k, "\(f).headers.\(name)")) must be a header name and value without CR, LF, NUL (or ':' and spaces in the name)")
                }
                headers.append((name, value))
            }
        }
        var extract: [(variable: String, key: String)] = []
        if let e = m["extract"] {
            guard let em = e.mapping else { throw UsageError("\(at(e, "\(f).extract")) must map variable names to JSON keys") }
            for (k, v) in em { extract.append((k.string ?? "", try string(v, "\(f).extract.\(k.string ?? "?")"))) }
        }
        var expect: ClosedRange<Int> = 200...399
        if let x = m["expect"] {
            let code = try count(x, "\(f).expect", least: 100, most: 599)
            expect = code...code
        }
        let body = try m["body"].map { try string($0, "\(f).body") }
        if body != nil && !headers.contains(where: { $0.0.lowercased() == "content-type" }) { headers.append(("Content-Type", "application/json")) }
        return Step(try m["name"].map { try string($0, "\(f).name") }, method: method, path: path, headers: headers, body: body,
                    extract: extract, expectStatus: expect)
    }

    func thresholds(_ n: Node) throws -> [ThresholdSpec] {
        guard let m = n.mapping else { throw UsageError("\(at(n, "thresholds")) must map metric names to lists of conditions") }
        var out: [ThresholdSpec] = []
        for (k, v) in m {
            let metric = k.string ?? ""
            let items = v.sequence.map(Array.init) ?? [v]
            for (i, item) in items.enumerated() {
                out.append(try ThresholdSpec(metric: metric, expression: try string(item, "thresholds.\(metric)[\(i)]"),
                                             source: at(item, "thresholds.\(metric)[\(i)]")))
            }
        }
        return out
    }
}
