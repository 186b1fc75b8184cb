import Foundation

/// A string with `{{name}}` placeholders, parsed once so rendering is a walk over segments.
public struct Template: Sendable, Equatable {
    enum Segment: Sendable, Equatable { case literal(String), variable(String) }
    let segments: [Segment]

    /// True when the template has no placeholders, so it can be encoded once.
    public var isStatic: Bool { segments.allSatisfy { if case .literal = $0 { true } else { false } } }

    public init(_ text: String) {
        var segs: [Segment] = []
        var rest = Substring(text)
        while let open = rest.range(of: "{{") {
            if open.lowerBound > rest.startIndex { segs.append(.literal(String(rest[..<open.lowerBound]))) }
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                rest = rest[open.lowerBound...]
                break
            }
            segs.append(.variable(String(rest[open.upperBound..<close.lowerBound]).trimmingCharacters(in: .whitespaces)))
            rest = rest[close.upperBound...]
        }
        if !rest.isEmpty { segs.append(.literal(String(rest))) }
        segments = segs
    }

    /// Renders with `vars`; an unknown variable renders as empty.
    public func render(_ vars: [String: String]) -> String {
        var out = ""
        for s in segments {
            switch s {
            case .literal(let l): out += l
            case .variable(let v): out += vars[v] ?? ""
            }
        }
        return out
    }

    /// The variable names the template uses.
    public var variables: [String] { segments.compactMap { if case .variable(let v) = $0 { v } else { nil } } }
}
