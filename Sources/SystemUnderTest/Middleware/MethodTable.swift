import Synchronization

/// Which methods each route path serves, filled once the router is built: a request no route matched, on a
/// path that exists for other methods, is 405 with Allow (RFC 9110 15.5.6), not 404.
public final class MethodTable: Sendable {
    private let routes = Mutex<[(segments: [Substring], methods: Set<String>)]>([])

    public init() {}

    /// `paths`: (method, path pattern), with parameters as `{name}` or `:name`.
    public func fill(_ paths: [(method: String, path: String)]) {
        var table: [String: Set<String>] = [:]
        for p in paths { table[p.path, default: []].insert(p.method) }
        routes.withLock { $0 = table.map { ($0.key.split(separator: "/"), $0.value) } }
    }

    /// The methods `path` is served with, empty when no route has that shape. A literal segment beats a
    /// parameter, as in the router's trie: /api/segments/preview is not /api/segments/{id}.
    public func methods(for path: String) -> Set<String> {
        let parts = path.split(separator: "/")
        return routes.withLock { rs in
            let matches = rs.compactMap { r -> (literals: Int, methods: Set<String>)? in
                guard r.segments.count == parts.count else { return nil }
                var literals = 0
                for (pattern, part) in zip(r.segments, parts) {
                    if pattern.first == "{" || pattern.first == ":" { continue }
                    guard pattern == part else { return nil }
                    literals += 1
                }
                return (literals, r.methods)
            }
            let best = matches.map(\.literals).max()
            return matches.filter { $0.literals == best }.reduce(into: Set<String>()) { $0.formUnion($1.methods) }
        }
    }
}
