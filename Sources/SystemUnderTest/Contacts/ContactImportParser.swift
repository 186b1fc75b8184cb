import Foundation

/// Parses an import body (CSV with a header row, or a JSON array of objects) into validated contacts.
///
/// The whole import is refused at the first bad row, and the error names its line (CSV) or index (JSON) and
/// field, so a client can fix its file; nothing is half-imported.
public enum ContactImportParser {
    /// Columns a CSV header may name; `email` is required.
    static let columns: Set<String> = ["email", "first_name", "last_name", "company", "source", "tags", "custom_fields"]
    public static let maxRows = 1_000_000

    /// Rows handed on at a time, so the database can load one chunk while the next is parsed.
    public static let chunkRows = 10_000

    /// Parses the body, calling `chunk` with every `chunkRows` validated contacts as they are ready.
    public static func parse(_ data: Data, contentType: String, chunk: ([ContactInput]) -> Void) throws(ImportError) {
        let type = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        // COPY and libpq stop at a NUL: rows after one would vanish while the import said 200.
        if let nul = data.firstIndex(of: 0) {
            let line = data[data.startIndex..<nul].reduce(1) { $0 + ($1 == 10 ? 1 : 0) }
            throw ImportError(line: line, field: nil, "contains a NUL byte (offset \(nul - data.startIndex)), which text cannot hold")
        }
        switch type {
        case "text/csv": try parseCSV(data, chunk: chunk)
        case "application/json": try parseJSON(data, chunk: chunk)
        default: throw ImportError(field: "Content-Type", "must be text/csv or application/json, not '\(contentType)'")
        }
    }

    public static func parseCSV(_ data: Data) throws(ImportError) -> [ContactInput] {
        var all: [ContactInput] = []
        try parseCSV(data) { all += $0 }
        return all
    }

    /// RFC 4180 CSV: quoted fields may hold commas, quotes ("") and newlines. Tags are separated by ';'.
    public static func parseCSV(_ data: Data, chunk: ([ContactInput]) -> Void) throws(ImportError) {
        var rows: [ContactInput] = []
        rows.reserveCapacity(chunkRows)
        var total = 0
        var header: [String]? = nil
        // Column positions of each known field, found once from the header: no per-row dictionary.
        var at: (email: Int, first: Int?, last: Int?, company: Int?, source: Int?, tags: Int?, custom: Int?) = (0, nil, nil, nil, nil, nil, nil)
        var failure: ImportError? = nil
        CSVReader.forEachRecord(data) { fields, startLine in
            guard let h = header else {
                let names = fields.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
                header = names
                for n in names where !columns.contains(n) {
                    failure = ImportError(line: 1, field: n, "unknown column (expected \(columns.sorted().joined(separator: ", ")))")
                    return false
                }
                guard let e = names.firstIndex(of: "email") else { failure = ImportError(line: 1, field: "email", "header has no email column"); return false }
                at = (e, names.firstIndex(of: "first_name"), names.firstIndex(of: "last_name"), names.firstIndex(of: "company"),
                      names.firstIndex(of: "source"), names.firstIndex(of: "tags"), names.firstIndex(of: "custom_fields"))
                return true
            }
            if fields.count == 1 && fields[0].isEmpty { return true }  // blank line
            guard fields.count == h.count else {
                failure = ImportError(line: startLine, field: nil, "has \(fields.count) fields, the header has \(h.count)")
                return false
            }
            func field(_ i: Int?) -> String? { i.flatMap { fields[$0].isEmpty ? nil : fields[$0] } }
            do {
                let tags = field(at.tags).map { $0.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } } ?? []
                rows.append(try contact(email: field(at.email), first: field(at.first), last: field(at.last), company: field(at.company),
                                        source: field(at.source), tags: tags, custom: field(at.custom), line: startLine))
            } catch let e as ImportError {
                failure = e
                return false
            } catch {
                return false
            }
            total += 1
            guard total <= maxRows else { failure = ImportError(line: startLine, field: nil, "more than \(maxRows) rows"); return false }
            if rows.count == chunkRows {
                chunk(rows)
                rows.removeAll(keepingCapacity: true)
            }
            return true
        }
        if let failure { throw failure }
        guard header != nil else { throw ImportError(line: 1, field: nil, "the body is empty (expected a header row)") }
        if !rows.isEmpty { chunk(rows) }
    }

    public static func parseJSON(_ data: Data) throws(ImportError) -> [ContactInput] {
        var all: [ContactInput] = []
        try parseJSON(data) { all += $0 }
        return all
    }

    /// A JSON array of `{email, first_name, last_name, company, source, tags: [..], custom_fields: {..}}`, read
    /// one element at a time (`JSONArrayReader`).
    public static func parseJSON(_ data: Data, chunk: ([ContactInput]) -> Void) throws(ImportError) {
        var rows: [ContactInput] = []
        try JSONArrayReader.forEachElement(data) { (range, i) throws(ImportError) -> Bool in
            guard i < maxRows else { throw ImportError(field: nil, "more than \(maxRows) contacts") }
            guard let item = try? JSONSerialization.jsonObject(with: data.subdata(in: (data.startIndex + range.lowerBound)..<(data.startIndex + range.upperBound)),
                                                               options: [.fragmentsAllowed]) else {
                throw ImportError(index: i, field: nil, "body is not valid JSON")
            }
            rows.append(try contact(json: item, index: i))
            if rows.count == chunkRows {
                chunk(rows)
                rows.removeAll(keepingCapacity: true)
            }
            return true
        }
        if !rows.isEmpty { chunk(rows) }
    }

    static func contact(json item: Any, index i: Int) throws(ImportError) -> ContactInput {
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
        do {
            return try contact(email: values["email"], first: values["first_name"], last: values["last_name"], company: values["company"],
                               source: values["source"], tags: tags, custom: values["custom_fields"], line: nil)
        } catch {
            var e = error
            e.index = i
            throw e
        }
    }

    /// One validated contact. custom_fields is checked for shape here; PostgreSQL's jsonb input checks the rest.
    static func contact(email raw: String?, first: String?, last: String?, company: String?, source: String?, tags: [String],
                        custom: String?, line: Int?) throws(ImportError) -> ContactInput {
        guard let raw else { throw ImportError(line: line, field: "email", "is missing") }
        let email = ContactInput.normalizedEmail(raw)
        guard ContactInput.isValidEmail(email) else { throw ImportError(line: line, field: "email", "'\(raw)' is not an email address") }
        for (k, v) in [("first_name", first), ("last_name", last), ("company", company), ("source", source)] where (v?.unicodeScalars.count ?? 0) > 200 {
            throw ImportError(line: line, field: k, "is longer than 200 characters")
        }
        guard tags.count <= 50, tags.allSatisfy({ $0.unicodeScalars.count <= 64 }) else {
            throw ImportError(line: line, field: "tags", "at most 50 tags of up to 64 characters each")
        }
        if let c = custom {
            let u = c.utf8
            guard u.first == UInt8(ascii: "{"), u.last == UInt8(ascii: "}") else {
                throw ImportError(line: line, field: "custom_fields", "must be a JSON object")
            }
        }
        return ContactInput(email: email, firstName: first, lastName: last, company: company, source: source, tags: tags, customFields: custom ?? "{}")
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
