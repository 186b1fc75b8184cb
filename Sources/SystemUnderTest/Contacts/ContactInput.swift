import Foundation

/// One contact to import, validated.
public struct ContactInput: Sendable, Equatable {
    public var email: String
    public var firstName: String?
    public var lastName: String?
    public var company: String?
    public var source: String?
    public var tags: [String]
    /// JSON object text.
    public var customFields: String

    public init(email: String, firstName: String? = nil, lastName: String? = nil, company: String? = nil,
                source: String? = nil, tags: [String] = [], customFields: String = "{}") {
        self.email = email
        self.firstName = firstName
        self.lastName = lastName
        self.company = company
        self.source = source
        self.tags = tags
        self.customFields = customFields
    }

    /// Appends the row as a line of `COPY contacts (tenant_id, email, first_name, last_name, company, source,
    /// tags, custom_fields) FROM STDIN` text format.
    public func appendCopyLine(tenant: Int64, to out: inout String) {
        out += String(tenant)
        out += "\t"
        CopyText.append(email, to: &out)
        for v in [firstName, lastName, company, source] {
            out += "\t"
            if let v { CopyText.append(v, to: &out) } else { out += "\\N" }
        }
        out += "\t"
        CopyText.append(CopyText.arrayLiteral(tags), to: &out)
        out += "\t"
        CopyText.append(customFields, to: &out)
        out += "\n"
    }

    /// A plausible address: one '@', a dot in the domain, no spaces, at most 254 bytes (RFC 5321).
    static func isValidEmail(_ s: String) -> Bool {
        guard s.utf8.count <= 254, let at = s.firstIndex(of: "@"), at != s.startIndex else { return false }
        let domain = s[s.index(after: at)...]
        return !domain.isEmpty && !domain.contains("@") && domain.contains(".") && !domain.hasSuffix(".")
            && !s.contains(where: { $0.isWhitespace || $0 == "," || $0 == "<" || $0 == ">" })
    }
}

/// PostgreSQL COPY text-format escaping.
enum CopyText {
    /// Appends `s` with backslash, tab, newline and carriage return escaped.
    static func append(_ s: String, to out: inout String) {
        guard s.utf8.contains(where: { $0 == 92 || $0 == 9 || $0 == 10 || $0 == 13 }) else { out += s; return }
        for ch in s.unicodeScalars {
            switch ch {
            case "\\": out += "\\\\"
            case "\t": out += "\\t"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            default: out.unicodeScalars.append(ch)
            }
        }
    }

    /// A text[] literal: `{"a","b"}` with quotes and backslashes escaped.
    static func arrayLiteral(_ items: [String]) -> String {
        "{" + items.map { "\"" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
            .joined(separator: ",") + "}"
    }
}
