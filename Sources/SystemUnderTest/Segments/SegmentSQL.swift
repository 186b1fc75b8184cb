import Foundation

/// Compiles a `SegmentRule` into a parameterised SQL predicate over `contacts`.
///
/// Values never enter the SQL text: each becomes a `$n` parameter. Predicates are written so the seed-004
/// indexes serve them: `tags @>` and `custom_fields @>` use the GIN indexes.
public struct SegmentSQL: Sendable {
    /// The predicate, e.g. `(email ILIKE $2 AND tags @> ARRAY[$3]::text[])`.
    public private(set) var predicate = ""
    /// Parameter values in order, starting at `$firstParam`.
    public private(set) var params: [String] = []
    /// For a rule that `requiresEmailSubstring`: a query of `contact_search` ids (every tenant's) that holds every
    /// indexed match, sharing the predicate's parameters. The predicate still decides.
    public private(set) var emailCandidates: String?
    let firstParam: Int

    /// `firstParam`: the number of the first `$n` this predicate may use (the tenant is usually `$1`).
    public init(_ rule: SegmentRule, firstParam: Int = 2) {
        self.firstParam = firstParam
        (predicate, emailCandidates) = compile(rule)
    }

    private mutating func bind(_ v: String) -> String {
        params.append(v)
        return "$\(firstParam + params.count - 1)"
    }

    /// The predicate and the email candidates, which follow `SegmentRule.requiresEmailSubstring`: for all of
    /// several rules, one that has candidates; for any of them, the union when each has.
    private mutating func compile(_ rule: SegmentRule) -> (String, String?) {
        switch rule {
        case .all(let rules):
            guard !rules.isEmpty else { return ("TRUE", nil) }
            let parts = rules.map { compile($0) }
            return ("(" + parts.map(\.0).joined(separator: " AND ") + ")", parts.lazy.compactMap(\.1).first)
        case .any(let rules):
            guard !rules.isEmpty else { return ("FALSE", nil) }
            let parts = rules.map { compile($0) }
            let candidates = parts.allSatisfy { $0.1 != nil } ? parts.compactMap(\.1).joined(separator: " UNION ") : nil
            return ("(" + parts.map(\.0).joined(separator: " OR ") + ")", candidates)
        case .condition(let c) where c.field == .email && c.op != "equals":
            let pattern = bind("%" + Self.escapeLike(c.values[0].lowercased()) + (c.op == "ends_with" ? "" : "%"))
            return ("email LIKE \(pattern)", "SELECT id FROM contact_search WHERE email LIKE \(pattern)")
        case .condition(let c): return (compile(c), nil)
        }
    }

    private mutating func compile(_ c: SegmentCondition) -> String {
        let v = c.values[0]
        switch (c.field, c.op) {
        case (.email, _): return "email = \(bind(v.lowercased()))"  // contains and ends_with: compile(_: SegmentRule)
        case (.company, "equals"): return "company = \(bind(v))"
        case (.company, _): return "company ILIKE \(bind("%" + Self.escapeLike(v) + "%"))"
        case (.tags, "contains"): return "tags @> ARRAY[\(bind(v))]::text[]"
        case (.tags, _): return "NOT (tags @> ARRAY[\(bind(v))]::text[])"
        case (.source, "equals"): return "source = \(bind(v))"
        case (.source, _): return "source IS DISTINCT FROM \(bind(v))"
        case (.status, "equals"): return "status = \(bind(v))"
        case (.status, _): return "status <> \(bind(v))"
        case (.createdAt, "after"): return "created_at > \(bind(v))::timestamptz"
        case (.createdAt, "before"): return "created_at < \(bind(v))::timestamptz"
        case (.createdAt, _): return "created_at BETWEEN \(bind(v))::timestamptz AND \(bind(c.values[1]))::timestamptz"
        case (.custom(let key), "equals"):
            let value: Any = c.valueIsString ? v : (Double(v).map { $0 == $0.rounded() && abs($0) < 1e15 ? Int64($0) as Any : $0 as Any } ?? v)
            let json = try! JSONSerialization.data(withJSONObject: [key: value], options: [.sortedKeys])
            return "custom_fields @> \(bind(String(decoding: json, as: UTF8.self)))::jsonb"
        case (.custom(let key), _): return "custom_fields->>\(bind(key)) ILIKE \(bind("%" + Self.escapeLike(v) + "%"))"
        }
    }

    /// Escapes LIKE's wildcards so a value matches literally (backslash is PostgreSQL's default escape).
    static func escapeLike(_ s: String) -> String {
        var out = ""
        for ch in s {
            if ch == "%" || ch == "_" || ch == "\\" { out.append("\\") }
            out.append(ch)
        }
        return out
    }
}
