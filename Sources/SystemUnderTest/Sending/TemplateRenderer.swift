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
    }
    public let parts: [Part]
    /// Original link URLs, by index: stored so `/t/c/` can redirect.
    public let links: [String]
    /// Merge tags a template may use (seed 000's personalisation fields).
    public static let tags: Set<String> = ["first_name", "last_name", "company", "email"]

    public init(_ template: String) {
        var parts: [Part] = []
        var links: [String] = []
        var text = ""
        var i = template.startIndex
        while i < template.endIndex {
            if template[i...].hasPrefix("{{"), let close = template[i...].range(of: "}}") {
                let name = template[template.index(i, offsetBy: 2)..<close.lowerBound].trimmingCharacters(in: .whitespaces)
                if Self.tags.contains(name) {
                    if !text.isEmpty { parts.append(.text(text)); text = "" }
                    parts.append(.tag(name))
                    i = close.upperBound
                    continue
                }
            }
            for q in ["href=\"", "href='"] where template[i...].hasPrefix(q) {
                let start = template.index(i, offsetBy: q.count)
                let quote = q.last!
                if let end = template[start...].firstIndex(of: quote) {
                    let url = String(template[start..<end])
                    if url.hasPrefix("http://") || url.hasPrefix("https://") {
                        text += q
                        parts.append(.text(text)); text = ""
                        parts.append(.link(links.count))
                        links.append(url)
                        i = end
                        break
                    }
                }
            }
            guard i < template.endIndex else { break }
            text.append(template[i])
            i = template.index(after: i)
        }
        if !text.isEmpty { parts.append(.text(text)) }
        self.parts = parts
        self.links = links
    }

    /// The message body for one recipient; `base` is campaignd's public URL for tracking.
    public func render(fields: [String: String], identity: MessageIdentity, base: String, tokens: TrackingTokens) -> String {
        var out = ""
        out.reserveCapacity(parts.reduce(0) { if case .text(let t) = $1 { return $0 + t.utf8.count }; return $0 + 64 } + 128)
        for p in parts {
            switch p {
            case .text(let t): out += t
            case .tag(let name): out += Self.escapeHTML(fields[name] ?? "")
            case .link(let n): out += base; out += "/t/c/"; out += tokens.click(identity, link: n)
            }
        }
        let pixel = "<img src=\"\(base)/t/o/\(tokens.open(identity))\" width=\"1\" height=\"1\" alt=\"\">"
        if let r = out.range(of: "</body>", options: .backwards) { out.insert(contentsOf: pixel, at: r.lowerBound) } else { out += pixel }
        return out
    }

    static func escapeHTML(_ s: String) -> String {
        guard s.contains(where: { $0 == "<" || $0 == ">" || $0 == "&" || $0 == "\"" }) else { return s }
        return s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
