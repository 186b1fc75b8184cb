/// A pass/fail condition on a run's metric in k6's syntax: `p(95)<50` on http_req_duration, `rate<0.01` on
/// http_req_failed. Parsed here; Reports judges it.
public struct ThresholdSpec: Sendable, Equatable, Codable {
    /// k6's metric name: http_req_duration, http_req_failed, http_reqs, dropped_iterations, iterations.
    public var metric: String
    /// The aggregation: p, avg, med, min, max, rate, count.
    public var stat: String
    /// The percentile for `p(N)`.
    public var percentile: Double?
    /// <, <=, >, >=.
    public var op: String
    public var value: Double
    /// The text as written, and where (file:line), for reports.
    public var expression: String
    public var source: String

    /// Stats each metric supports, as k6 defines them.
    public static let stats: [String: Set<String>] = [
        "http_req_duration": ["p", "avg", "med", "min", "max"],
        "http_req_failed": ["rate"],
        "http_reqs": ["count", "rate"],
        "iterations": ["count", "rate"],
        "dropped_iterations": ["count", "rate"],
    ]

    /// Parses `expression` (e.g. "p(99.9) < 250") for `metric`; throws naming what is wrong.
    public init(metric: String, expression: String, source: String) throws(UsageError) {
        guard let allowed = Self.stats[metric] else {
            throw UsageError("\(source): unknown metric '\(metric)' (known: \(Self.stats.keys.sorted().joined(separator: ", ")))")
        }
        let text = expression.filter { !$0.isWhitespace }
        guard let opRange = ["<=", ">=", "<", ">"].lazy.compactMap({ text.range(of: $0) }).first else {
            throw UsageError("\(source): threshold '\(expression)' has no comparison (<, <=, >, >=)")
        }
        let lhs = String(text[..<opRange.lowerBound]), rhs = String(text[opRange.upperBound...])
        // nan would compare false with everything: a threshold that fails every run, whatever it measured.
        guard let v = Double(rhs), v.isFinite else { throw UsageError("\(source): threshold '\(expression)': '\(rhs)' is not a finite number") }
        var stat = lhs, pct: Double? = nil
        if lhs.hasPrefix("p("), lhs.hasSuffix(")") {
            guard let p = Double(lhs.dropFirst(2).dropLast()), p > 0, p <= 100 else {
                throw UsageError("\(source): threshold '\(expression)': percentile must be in (0, 100]")
            }
            stat = "p"
            pct = p
        }
        guard allowed.contains(stat) else {
            throw UsageError("\(source): threshold '\(expression)': \(metric) supports \(allowed.sorted().map { $0 == "p" ? "p(N)" : $0 }.joined(separator: ", "))")
        }
        self.metric = metric
        self.stat = stat
        percentile = pct
        op = String(text[opRange])
        value = v
        self.expression = expression
        self.source = source
    }

    /// Whether `measured` satisfies the threshold.
    public func holds(_ measured: Double) -> Bool { Self.holds(measured, op, value) }

    /// The one comparison of a measured figure with its threshold, for file thresholds and the KPIs alike:
    /// "<", "<=", ">" or ">=" (anything else is ">=", which the parser never lets through). NaN never holds.
    public static func holds(_ measured: Double, _ op: String, _ threshold: Double) -> Bool {
        switch op {
        case "<": measured < threshold
        case "<=": measured <= threshold
        case ">": measured > threshold
        default: measured >= threshold
        }
    }
}
