import Harness

/// `--set key=value` overrides; reading one a scenario does not know is an error that names it.
public struct Overrides: Sendable {
    var values: [String: String]

    /// Parses "key=value" pairs; throws naming a malformed one.
    public init(_ pairs: [String]) throws(UsageError) {
        var v: [String: String] = [:]
        for p in pairs {
            guard let eq = p.firstIndex(of: "="), eq != p.startIndex else { throw UsageError("--set '\(p)': expected key=value") }
            v[String(p[..<eq])] = String(p[p.index(after: eq)...])
        }
        values = v
    }

    /// A positive number, or `fallback` when not set.
    public func number(_ key: String, _ fallback: Double) throws(UsageError) -> Double {
        guard let s = values[key] else { return fallback }
        guard let n = Double(s), n > 0, n.isFinite else { throw UsageError("--set \(key)=\(s): expected a positive number") }
        return n
    }

    /// A duration such as 30, 30s, 5m or 1h (in seconds), or `fallback`.
    public func duration(_ key: String, _ fallback: Double) throws(UsageError) -> Double {
        guard let s = values[key] else { return fallback }
        guard let d = DurationText.seconds(s) else { throw UsageError("--set \(key)=\(s): expected a duration like 30s, 5m or 1h") }
        return d
    }

    /// Throws when a key is not among `known`, so a typo is not silently ignored.
    public func check(known: [String], scenario: String) throws(UsageError) {
        for k in values.keys.sorted() where !known.contains(k) {
            throw UsageError("--set \(k): scenario '\(scenario)' has no setting '\(k)' (it has: \(known.joined(separator: ", ")))")
        }
    }
}
