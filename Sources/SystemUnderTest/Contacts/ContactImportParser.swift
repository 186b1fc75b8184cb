import Foundation

/// Parses an import body (CSV with a header row, or a JSON array of objects) into validated contacts.
///
/// The whole import is refused at the first bad row, and the error names its line (CSV) or index (JSON) and
/// field, so a client can fix its file; nothing is half-imported.
public enum ContactImportParser {
    /// Columns a CSV header may name; `email` is required.
    static let columns: Set<String> = ["email", "first_name", "last_name", "company", "source", "tags", "custom_fields"]
    public static let maxRows = 1_000_000

    public static func parse(_ data: Data, contentType: String) throws(ImportError) -> [ContactInput] {
        let type = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        switch type {
        case "text/csv": return try parseCSV(data)
        case "application/json": return try parseJSON(data)
        default: throw ImportError(field: "Content-Type", "must be text/csv or application/json, not '\(contentType)'")
        }
    }

    /// RFC 4180 CSV: quoted fields may hold commas, quotes ("") and newlines. Tags are separated by ';'.
    public static func parseCSV(_ data: Data) throws(ImportError) -> [ContactInput] {
        var rows: [ContactInput] = []
        var header: [String]? = nil
        var failure: ImportError? = nil
        CSVReader.forEachRecord(data) { fields, startLine in
            if header == nil {
                header = fields.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
                for h in header! where !columns.contains(h) {
                    failure = ImportError(line: 1, field: h, "unknown column (expected \(columns.sorted().joined(separator: ", ")))")
                    return false
                }
                if !header!.contains("email") { failure = ImportError(line: 1, field: "email", "header has no email column"); return false }
                return true
            }
            if fields.count == 1 && fields[0].isEmpty { return true }  // blank line
            guard fields.count == header!.count else {
                failure = ImportError(line: startLine, field: nil, "has \(fields.count) fields, the header has \(header!.count)")
                return false
            }
            do {
                var values: [String: String] = [:]
                for (h, v) in zip(header!, fields) where !v.isEmpty { values[h] = v }
                rows.append(try contact(values, tags: values["tags"].map { $0.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) } } ?? [],
                                        line: startLine))
                guard rows.count <= maxRows else { failure = ImportError(line: startLine, field: nil, "more than \(maxRows) rows"); return false }
            } catch {
                failure = error as? ImportError
                return false
            }
            return true
        }
        if let failure { throw failure }
        guard header != nil else { throw ImportError(line: 1, field: nil, "the body is empty (expected a header row)") }
        return rows
    }

    /// A JSON array of `{email, first_name, last_name, company, source, tags: [..], custom_fields: {..}}`.
    public static func parseJSON(_ data: Data) throws(ImportError) -> [ContactInput] {
        guard let obj = try? JSONSerialization.jsonObject(with: data) else { throw ImportError(field: nil, "body is not valid JSON") }
        guard let list = obj as? [Any] else { throw ImportError(field: nil, "body must be a JSON array of contacts") }
        guard list.count <= maxRows else { throw ImportError(field: nil, "more than \(maxRows) contacts") }
        var rows: [ContactInput] = []
        rows.reserveCapacity(list.count)
        for (i, item) in list.enumerated() {
            guard let o = item as? [String: Any] else { throw ImportError(index: i, field: nil, "is not an object") }
            var values: [String: String] = [:]
            for (k, v) in o {
                guard columns.contains(k) else { throw ImportError(index: i, field: k, "unknown field") }
                switch k {
                case "tags":
                    continue
                case "custom_fields":
                    guard v is [String: Any], let d = try? JSONSerialization.data(withJSONObject: v, options: [.sortedKeys]) else {
                        throw ImportError(index: i, field: k, "must be an object")
                    }
                    values[k] = String(decoding: d, as: UTF8.self)
                default:
                    if v is NSNull { continue }
                    guard let s = v as? String else { throw ImportError(index: i, field: k, "must be a string") }
                    values[k] = s
                }
            }
            var tags: [String] = []
            if let t = o["tags"], !(t is NSNull) {
                guard let arr = t as? [String] else { throw ImportError(index: i, field: "tags", "must be an array of strings") }
                tags = arr
            }
            do { rows.append(try contact(values, tags: tags, line: nil)) } catch {
                var e = error as! ImportError
                e.index = i
                throw e
            }
        }
        return rows
    }

    static func contact(_ v: [String: String], tags: [String], line: Int?) throws -> ContactInput {
        guard let raw = v["email"] else { throw ImportError(line: line, field: "email", "is missing") }
        let email = raw.trimmingCharacters(in: .whitespaces).lowercased()
        guard ContactInput.isValidEmail(email) else { throw ImportError(line: line, field: "email", "'\(raw)' is not an email address") }
        for k in ["first_name", "last_name", "company", "source"] where (v[k]?.utf8.count ?? 0) > 200 {
            throw ImportError(line: line, field: k, "is longer than 200 bytes")
        }
        guard tags.count <= 50, tags.allSatisfy({ !$0.isEmpty && $0.utf8.count <= 64 }) else {
            throw ImportError(line: line, field: "tags", "at most 50 tags of 1-64 bytes each")
        }
        var custom = "{}"
        if let c = v["custom_fields"] {
            guard let d = c.data(using: .utf8), (try? JSONSerialization.jsonObject(with: d)) is [String: Any] else {
                throw ImportError(line: line, field: "custom_fields", "must be a JSON object")
            }
            custom = c
        }
        return ContactInput(email: email, firstName: v["first_name"], lastName: v["last_name"], company: v["company"],
                            source: v["source"], tags: tags, customFields: custom)
    }
}

/// A rejected import: where (CSV line or JSON index), which field, and why.
public struct ImportError: Error, Sendable, Equatable, CustomStringConvertible {
    public var line: Int?
    public var index: Int?
    public var field: String?
    public var message: String

    init(line: Int? = nil, index: Int? = nil, field: String?, _ message: String) {
        self.line = line
        self.index = index
        self.field = field
        self.message = message
    }

    public var description: String {
        var at = ""
        if let line { at = "line \(line): " } else if let index { at = "contact [\(index)]: " }
        return at + (field.map { "\($0) " } ?? "") + message
    }
}

/// A streaming RFC 4180 reader over bytes.
enum CSVReader {
    /// Calls `body` with each record's fields and the line it starts on; `body` returns false to stop.
    static func forEachRecord(_ data: Data, _ body: ([String], Int) -> Bool) {
        data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            let b = raw.bindMemory(to: UInt8.self)
            var i = 0
            let n = b.count
            var line = 1
            if n >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF { i = 3 }  // UTF-8 BOM
            while i < n {
                var fields: [String] = []
                let start = line
                var ended = false
                while !ended {
                    if i < n && b[i] == UInt8(ascii: "\"") {
                        var bytes: [UInt8] = []
                        i += 1
                        while i < n {
                            if b[i] == UInt8(ascii: "\"") {
                                if i + 1 < n && b[i + 1] == UInt8(ascii: "\"") { bytes.append(b[i]); i += 2; continue }
                                i += 1
                                break
                            }
                            if b[i] == 10 { line += 1 }
                            bytes.append(b[i])
                            i += 1
                        }
                        fields.append(String(decoding: bytes, as: UTF8.self))
                        while i < n && b[i] != UInt8(ascii: ",") && b[i] != 10 { i += 1 }  // junk after a closing quote
                    } else {
                        let s = i
                        while i < n && b[i] != UInt8(ascii: ",") && b[i] != 10 { i += 1 }
                        var e = i
                        if e > s && b[e - 1] == 13 { e -= 1 }
                        fields.append(String(decoding: UnsafeBufferPointer(rebasing: b[s..<e]), as: UTF8.self))
                    }
                    if i >= n { ended = true } else if b[i] == UInt8(ascii: ",") { i += 1 } else { i += 1; line += 1; ended = true }
                }
                if !body(fields, start) { return }
            }
        }
    }
}
