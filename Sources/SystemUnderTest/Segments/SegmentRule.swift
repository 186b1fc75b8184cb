import Foundation

/// A segment's rule tree: conditions combined with AND (`all`) and OR (`any`), as seed 004's
/// "Supported Segmentation Criteria" lists them.
public indirect enum SegmentRule: Sendable, Equatable {
    case all([SegmentRule])
    case any([SegmentRule])
    case condition(SegmentCondition)

    /// Limits that keep one segment's SQL small.
    static let maxDepth = 6
    static let maxConditions = 64
    static let maxGroupItems = 8

    /// Parses `{"all": [...]}`, `{"any": [...]}` or a condition `{"field", "op", "value"}`; errors name the path.
    public static func parse(_ json: Any, path: String = "conditions") throws(SegmentError) -> SegmentRule {
        var count = 0
        return try parse(json, path: path, depth: 0, count: &count)
    }

    /// Parses JSON text.
    public static func parse(data: Data, path: String = "conditions") throws(SegmentError) -> SegmentRule {
        guard let obj = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) else {
            throw SegmentError(path, "is not valid JSON")
        }
        return try parse(obj, path: path)
    }

    private static func parse(_ json: Any, path: String, depth: Int, count: inout Int) throws(SegmentError) -> SegmentRule {
        guard depth < maxDepth else { throw SegmentError(path, "nests deeper than \(maxDepth) levels") }
        guard let obj = json as? [String: Any] else { throw SegmentError(path, "must be an object") }
        // Every node counts, groups too: empty groups nested 64 wide would otherwise cost SQL without limit.
        count += 1
        guard count <= maxConditions else { throw SegmentError(path, "more than \(maxConditions) conditions and groups") }
        for key in ["all", "any"] {
            guard let children = obj[key] else { continue }
            guard obj.count == 1 else { throw SegmentError(path, "'\(key)' must be the object's only key") }
            guard let list = children as? [Any] else { throw SegmentError("\(path).\(key)", "must be an array") }
            guard list.count <= maxGroupItems else { throw SegmentError("\(path).\(key)", "holds more than \(maxGroupItems) items") }
            var rules: [SegmentRule] = []
            for (i, c) in list.enumerated() { rules.append(try parse(c, path: "\(path).\(key)[\(i)]", depth: depth + 1, count: &count)) }
            return key == "all" ? .all(rules) : .any(rules)
        }
        return .condition(try SegmentCondition(obj, path: path))
    }

    /// Whether every match must contain a substring of the email: such a rule can be answered through the
    /// trigram index, and PostgreSQL can only guess how many contacts it matches.
    public var requiresEmailSubstring: Bool {
        switch self {
        case .condition(let c): c.field == .email && c.op != "equals"
        case .all(let rules): rules.contains { $0.requiresEmailSubstring }
        case .any(let rules): !rules.isEmpty && rules.allSatisfy { $0.requiresEmailSubstring }
        }
    }
}

/// One test on a contact: a field, an operator and a value.
public struct SegmentCondition: Sendable, Equatable {
    public enum Field: Sendable, Equatable {
        case email, company, tags, source, status, createdAt
        case custom(String)
    }
    public var field: Field
    public var op: String
    /// Strings, numbers and booleans as JSON text; `between` has two.
    public var values: [String]
    /// Whether the single value was a JSON string (custom-field equality keeps the JSON type).
    public var valueIsString: Bool

    /// Operators by field, from seed 004 (status is the contact's subscription state, which sends need).
    static let operators: [String: Set<String>] = [
        "email": ["contains", "equals", "ends_with"],
        "company": ["contains", "equals"],
        "tags": ["contains", "not_contains"],
        "source": ["equals", "not_equals"],
        "status": ["equals", "not_equals"],
        "created_at": ["after", "before", "between"],
        "custom_fields": ["equals", "contains"],
    ]

    init(_ obj: [String: Any], path: String) throws(SegmentError) {
        if let extra = obj.keys.sorted().first(where: { !["field", "op", "value"].contains($0) }) {
            throw SegmentError("\(path).\(extra)", "is not a field of a condition (field, op, value)")
        }
        guard let name = obj["field"] as? String else { throw SegmentError("\(path).field", "is missing or not a string") }
        guard let op = obj["op"] as? String else { throw SegmentError("\(path).op", "is missing or not a string") }
        let base: String
        if name.hasPrefix("custom_fields.") {
            let key = String(name.dropFirst("custom_fields.".count))
            guard !key.isEmpty, key.count <= 64, key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }) else {
                throw SegmentError("\(path).field", "custom field name '\(key)' must be 1-64 letters, digits, '_' or '-'")
            }
            field = .custom(key)
            base = "custom_fields"
        } else {
            switch name {
            case "email": field = .email
            case "company": field = .company
            case "tags", "tag": field = .tags
            case "source": field = .source
            case "status": field = .status
            case "created_at": field = .createdAt
            default: throw SegmentError("\(path).field", "unknown field '\(name)'")
            }
            base = name == "tag" ? "tags" : name
        }
        guard Self.operators[base]!.contains(op) else {
            throw SegmentError("\(path).op", "'\(op)' is not an operator of \(base) (\(Self.operators[base]!.sorted().joined(separator: ", ")))")
        }
        self.op = op
        let raw = obj["value"]
        if op == "between" {
            guard let pair = raw as? [Any], pair.count == 2 else { throw SegmentError("\(path).value", "must be [from, to] for between") }
            values = try pair.enumerated().map { (i, v) throws(SegmentError) in try Self.text(v, path: "\(path).value[\(i)]") }
            valueIsString = true
        } else {
            guard let raw else { throw SegmentError("\(path).value", "is missing") }
            values = [try Self.text(raw, path: "\(path).value")]
            valueIsString = raw is String
        }
        if field == .createdAt {
            for (i, v) in values.enumerated() where Timestamps.dateOrDay(v) == nil {
                throw SegmentError(values.count > 1 ? "\(path).value[\(i)]" : "\(path).value", "'\(v)' is not a date (YYYY-MM-DD or ISO 8601)")
            }
        }
        if field == .status, !["active", "unsubscribed", "bounced"].contains(values[0]) {
            throw SegmentError("\(path).value", "status is one of active, unsubscribed, bounced")
        }
    }

    static func text(_ v: Any, path: String) throws(SegmentError) -> String {
        switch v {
        case let s as String:
            guard s.utf8.count <= 512 else { throw SegmentError(path, "is longer than 512 bytes") }
            return s
        case let n as NSNumber where !JSON.isBool(n): return n.stringValue
        default: throw SegmentError(path, "must be a string or a number")
        }
    }
}

/// A rule that cannot be used; `path` names the offending part (e.g. `conditions.all[1].op`).
public struct SegmentError: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var message: String
    init(_ path: String, _ message: String) {
        self.path = path
        self.message = message
    }
    public var description: String { "\(path) \(message)" }
}
