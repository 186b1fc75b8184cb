import Harness

/// `--set key=value` overrides; reading one a scenario does not know is an error that names it.
public struct Overrides: Sendable {
    var values: [String: String]
    /// Settings given by a flag of their own (`--duration 30s`), so an error names the flag the user typed.
    var flags: [String: String] = [:]

    /// Parses "key=value" pairs; throws naming a malformed one.
    public init(_ pairs: [String]) throws(UsageError) {
        var v: [String: String] = [:]
        for p in pairs {
            guard let eq = p.firstIndex(of: "="), eq != p.startIndex else { throw UsageError("--set '\(p)': expected key=value") }
            v[String(p[..<eq])] = String(p[p.index(after: eq)...])
        }
        values = v
    }

    /// `run --duration --rate --vus`, as k6 has them: the same as `--set duration=...`, and an error to give both.
    public mutating func add(flag: String, key: String, value: String?) throws(UsageError) {
        guard let value else { return }
        if values[key] != nil { throw UsageError("\(flag) and --set \(key)= both set \(key): give one") }
        values[key] = value
        flags[key] = flag
    }

    /// How the user gave `key`: "--duration 5x" or "--set duration=5x".
    func given(_ key: String) -> String { flags[key].map { "\($0) \(values[key] ?? "")" } ?? "--set \(key)=\(values[key] ?? "")" }

    public var isEmpty: Bool { values.isEmpty }
    public static let none = Overrides(values: [:])
    private init(values: [String: String]) { self.values = values }

    public func has(_ key: String) -> Bool { values[key] != nil }

    /// Requests (or iterations) per second a setting may ask for.
    public static let rates = 0.001...LoadPlan.maxRate
    /// A test, step or phase: under a second is below the reporting grain, over 30 days is a typo; past that the
    /// engine's nanoseconds would overflow (1e12 s was a crash, not an error).
    public static let phases = 1.0...DurationText.longest
    /// A request's or a whole send's time limit.
    public static let timeouts = 0.001...DurationText.longest

    /// A number in `range`, or `fallback` when not set.
    public func number(_ key: String, _ fallback: Double, in range: ClosedRange<Double>) throws(UsageError) -> Double {
        guard let s = values[key] else { return fallback }
        guard let n = Double(s), range.contains(n) else {
            throw UsageError("\(given(key)): expected a number from \(Self.text(range.lowerBound)) to \(Self.text(range.upperBound))")
        }
        return n
    }

    /// A whole number in `range` (1e5 is one), or `fallback`: counts such as rows and VUs.
    public func count(_ key: String, _ fallback: Int, in range: ClosedRange<Int>) throws(UsageError) -> Int {
        guard let s = values[key] else { return fallback }
        guard let n = Double(s), n == n.rounded(), n >= Double(range.lowerBound), n <= Double(range.upperBound) else {
            throw UsageError("\(given(key)): expected a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return Int(n)
    }

    /// A duration such as 30, 30s, 5m or 1h (in seconds) in `range`, or `fallback`.
    public func duration(_ key: String, _ fallback: Double, in range: ClosedRange<Double> = Self.phases) throws(UsageError) -> Double {
        guard let s = values[key] else { return fallback }
        guard let d = DurationText.seconds(s), range.contains(d) else {
            throw UsageError("\(given(key)): expected a duration from \(DurationText.text(range.lowerBound)) to \(DurationText.text(range.upperBound)), like 30s, 5m or 1h")
        }
        return d
    }

    /// 10000000 and 0.001, not 1e+07 and 0.001.
    static func text(_ x: Double) -> String { x == x.rounded() ? String(Int(x)) : String(x) }

    /// Throws when a key is not among `known`, so a typo is not silently ignored.
    public func check(known: [String], scenario: String) throws(UsageError) {
        for k in values.keys.sorted() where !known.contains(k) {
            let how = flags[k] ?? "--set \(k)"
            throw UsageError("\(how): scenario '\(scenario)' has no setting '\(k)' (it has: \(known.isEmpty ? "none" : known.joined(separator: ", ")))")
        }
    }
}
