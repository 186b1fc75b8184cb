import Foundation

/// A campaign template compiled once: literal text, merge tags, and tracked links found in `href`s.
///
/// Rendering a recipient is then a walk over the parts: merge tags filled, each link replaced by its tracking
/// URL, and the open pixel added before `</body>` (or at the end).
public struct CompiledTemplate: Sendable, Equatable {
    public enum Part: Sendable, Equatable {
        case text(String)
        case tag(String)
        /// The n-th tracked link.
        case link(Int)
        /// The open pixel: before the template's last `</body>`, or at the end when there is none.
        case pixel
    }
    public let parts: [Part]
    /// Original link URLs, by index: stored so `/t/c/` can redirect.
    public let links: [String]
    /// Merge tags a template may use (seed 000's personalisation fields).
    public static let tags: Set<String> = ["first_name", "last_name", "company", "email"]

    /// Merge tag names are short: a longer `{{ … }}` is text, so a hostile template cannot make every `{{`
    /// trim a long span.
    static let longestTagSpan = 64

    /// One pass over the template's bytes (every delimiter is ASCII, so byte offsets are character boundaries).
    /// The next `}}` and the next quote are found by `NextDelimiter`, which resumes where it last stopped: a
    /// template of unclosed `{{` or `href="` costs linear time, not a rescan to the end from each opener.
    public init(_ template: String) {
        let b = Array(template.utf8)
        var parts: [Part] = []
        var links: [String] = []
        var literal = 0
        var closes = NextDelimiter(b, UInt8(ascii: "}"), UInt8(ascii: "}"))
        var quotes = [NextDelimiter(b, UInt8(ascii: "\""), nil), NextDelimiter(b, UInt8(ascii: "'"), nil)]
        func flush(_ upTo: Int) {
            if upTo > literal { parts.append(.text(String(decoding: b[literal..<upTo], as: UTF8.self))) }
        }
        let href = Array("href=".utf8)
        var i = 0
        while i < b.count {
            if b[i] == UInt8(ascii: "{"), i + 1 < b.count, b[i + 1] == UInt8(ascii: "{"),
               let c = closes.next(from: i + 2), c - (i + 2) <= Self.longestTagSpan {
                let name = String(decoding: b[(i + 2)..<c], as: UTF8.self).trimmingCharacters(in: .whitespaces)
                if Self.tags.contains(name) {
                    flush(i)
                    parts.append(.tag(name))
                    i = c + 2
                    literal = i
                    continue
                }
            }
            if b[i] == UInt8(ascii: "h"), i + 6 <= b.count, b[i..<(i + 5)].elementsEqual(href),
               let q = [UInt8(ascii: "\""), UInt8(ascii: "'")].firstIndex(of: b[i + 5]), let end = quotes[q].next(from: i + 6) {
                let url = b[(i + 6)..<end]
                if url.starts(with: Self.http) || url.starts(with: Self.https) {
                    flush(i + 6)
                    parts.append(.link(links.count))
                    links.append(String(decoding: url, as: UTF8.self))
                    i = end
                    literal = end
                    continue
                }
            }
            i += 1
        }
        flush(b.count)
        self.parts = Self.placingPixel(in: parts)
        self.links = links
    }

    /// Found once here, not searched for in every rendered email. Only text parts can hold `</body>`: merge
    /// tags are HTML-escaped and links are campaignd's own URLs.
    static func placingPixel(in parts: [Part]) -> [Part] {
        let close = Array("</body>".utf8)
        for (i, p) in parts.enumerated().reversed() {
            guard case .text(let t) = p else { continue }
            let b = Array(t.utf8)
            guard b.count >= close.count,
                  let at = (0...(b.count - close.count)).reversed().first(where: { b[$0..<($0 + close.count)].elementsEqual(close) })
            else { continue }
            let before: [Part] = at == 0 ? [] : [.text(String(decoding: b[..<at], as: UTF8.self))]
            return parts[..<i] + before + [.pixel, .text(String(decoding: b[at...], as: UTF8.self))] + parts[(i + 1)...]
        }
        return parts + [.pixel]
    }

    static let http = Array("http://".utf8), https = Array("https://".utf8)

    /// The message body for one recipient: `open` and `clicks` are its signed tokens (`TrackingTokens`), made
    /// once by the caller, which also puts them in the message's own fields.
    public func render(fields: [String: String], base: String, open: String, clicks: [String]) -> String {
        var out = ""
        out.reserveCapacity(parts.reduce(0) { if case .text(let t) = $1 { return $0 + t.utf8.count }; return $0 + 64 } + 128)
        for p in parts {
            switch p {
            case .text(let t): out += t
            case .tag(let name): out += Self.escapeHTML(fields[name] ?? "")
            case .link(let n): out += base; out += "/t/c/"; out += clicks[n]
            case .pixel: out += "<img src=\"\(base)/t/o/\(open)\" width=\"1\" height=\"1\" alt=\"\">"
            }
        }
        return out
    }

    static func escapeHTML(_ s: String) -> String {
        guard s.contains(where: { $0 == "<" || $0 == ">" || $0 == "&" || $0 == "\"" }) else { return s }
        return s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}

/// The next occurrence of a delimiter (one byte, or two in a row) at or after a position. Positions asked for
/// never go back, so each search starts past the last one found: every byte is looked at once.
struct NextDelimiter {
    let bytes: [UInt8]
    let first: UInt8
    let second: UInt8?
    private var found = -1
    private var exhausted = false

    init(_ bytes: [UInt8], _ first: UInt8, _ second: UInt8?) {
        self.bytes = bytes
        self.first = first
        self.second = second
    }

    mutating func next(from i: Int) -> Int? {
        if found >= i { return found }
        if exhausted { return nil }
        var j = i
        let last = bytes.count - (second == nil ? 1 : 2)
        while j <= last {
            if bytes[j] == first, second.map({ bytes[j + 1] == $0 }) ?? true { found = j; return j }
            j += 1
        }
        exhausted = true
        return nil
    }
}
