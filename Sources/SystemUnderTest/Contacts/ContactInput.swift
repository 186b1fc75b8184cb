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

    /// A plausible address: one '@', a dot in the domain, no spaces, at most 254 bytes (RFC 5321). Byte-wise:
    /// it runs once per imported row.
    static func isValidEmail(_ s: String) -> Bool {
        let u = s.utf8
        guard u.count <= 254, u.first != UInt8(ascii: "@") else { return false }
        var ats = 0, dotAfterAt = false, last: UInt8 = 0
        for b in u {
            switch b {
            case UInt8(ascii: "@"): ats += 1
            case UInt8(ascii: "."): if ats == 1 && last != UInt8(ascii: "@") { dotAfterAt = true }
            case 0...32, UInt8(ascii: ","), UInt8(ascii: "<"), UInt8(ascii: ">"): return false
            default: break
            }
            last = b
        }
        return ats == 1 && dotAfterAt && last != UInt8(ascii: ".") && last != UInt8(ascii: "@")
    }

    /// Trimmed and lower-cased, allocating only when something changes.
    static func normalizedEmail(_ s: String) -> String {
        let u = s.utf8
        let needs = u.contains { ($0 >= 65 && $0 <= 90) } || u.first == 32 || u.last == 32 || u.first == 9 || u.last == 9
        return needs ? s.trimmingCharacters(in: .whitespaces).lowercased() : s
    }
}
