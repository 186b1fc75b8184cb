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

    /// A positive number, or `fallback` when not set.
    public func number(_ key: String, _ fallback: Double) throws(UsageError) -> Double {
        guard let s = values[key] else { return fallback }
        guard let n = Double(s), n > 0, n.isFinite else { throw UsageError("\(given(key)): expected a positive number") }
        return n
    }

    /// A duration such as 30, 30s, 5m or 1h (in seconds), or `fallback`.
    public func duration(_ key: String, _ fallback: Double) throws(UsageError) -> Double {
        guard let s = values[key] else { return fallback }
        guard let d = DurationText.seconds(s) else { throw UsageError("\(given(key)): expected a duration like 30s, 5m or 1h") }
        return d
    }

    /// Throws when a key is not among `known`, so a typo is not silently ignored.
    public func check(known: [String], scenario: String) throws(UsageError) {
        for k in values.keys.sorted() where !known.contains(k) {
            let how = flags[k] ?? "--set \(k)"
            throw UsageError("\(how): scenario '\(scenario)' has no setting '\(k)' (it has: \(known.isEmpty ? "none" : known.joined(separator: ", ")))")
        }
    }
}
