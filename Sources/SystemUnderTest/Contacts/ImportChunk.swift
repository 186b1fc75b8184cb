/// Validated contacts in COPY text form. The parser's thread encodes a chunk while the database thread loads the one
/// before, so the load only sends bytes. Each line starts with the tenant, so the text can go into `contacts` as it is.
public struct ImportChunk: Sendable {
    public static let columns = "tenant_id, email, first_name, last_name, company, source, tags, custom_fields"
    public let count: Int
    public let copyText: [UInt8]

    public init(tenant: Int64, _ contacts: [ContactInput]) {
        let lead = Array("\(tenant)\t".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(contacts.count * (128 + lead.count))
        for c in contacts {
            text += lead
            c.appendCopyLine(to: &text)
        }
        count = contacts.count
        copyText = text
    }
}

/// PostgreSQL COPY text-format escaping, byte by byte: it runs for every field of every imported row.
enum CopyText {
    static let null: [UInt8] = Array(#"\N"#.utf8)

    /// Appends `s` with backslash, tab, newline and carriage return escaped.
    static func append(_ s: String, to out: inout [UInt8]) {
        for b in s.utf8 { appendEscaped(b, to: &out) }
    }

    /// A text[] literal, `{"a","b"}`, with each element's quotes and backslashes escaped: a query parameter.
    static func arrayLiteral(_ items: [String]) -> String {
        var out: [UInt8] = []
        appendArray(items, forCopy: false, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// The text[] literal, escaped again for COPY when `forCopy`.
    static func appendArray(_ items: [String], forCopy: Bool, to out: inout [UInt8]) {
        func put(_ b: UInt8) { if forCopy { appendEscaped(b, to: &out) } else { out.append(b) } }
        put(UInt8(ascii: "{"))
        for (i, item) in items.enumerated() {
            if i > 0 { put(UInt8(ascii: ",")) }
            put(UInt8(ascii: "\""))
            for b in item.utf8 {
                if b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") { put(UInt8(ascii: "\\")) }
                put(b)
            }
            put(UInt8(ascii: "\""))
        }
        put(UInt8(ascii: "}"))
    }

    @inline(__always) private static func appendEscaped(_ b: UInt8, to out: inout [UInt8]) {
        switch b {
        case UInt8(ascii: "\\"): out.append(b); out.append(b)
        case 9: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "t"))
        case 10: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "n"))
        case 13: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "r"))
        default: out.append(b)
        }
    }
}

extension ContactInput {
    /// Appends the row as a line of COPY text format, in `ImportChunk.columns` order after the tenant.
    func appendCopyLine(to out: inout [UInt8]) {
        func field(_ v: String?) {
            out.append(9)
            if let v { CopyText.append(v, to: &out) } else { out += CopyText.null }
        }
        CopyText.append(email, to: &out)
        field(firstName)
        field(lastName)
        field(company)
        field(source)
        out.append(9)
        CopyText.appendArray(tags, forCopy: true, to: &out)
        out.append(9)
        CopyText.append(customFields, to: &out)
        out.append(10)
    }
}
