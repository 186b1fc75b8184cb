/// The prepared statements of one connection, bounded: segment previews build SQL of as many shapes as their
/// condition trees have, and each prepared statement holds memory in campaignd and in its PostgreSQL backend for
/// the connection's life. Past `capacity` the least recently used is evicted, and its name returned so the
/// connection can `DEALLOCATE` it. Names are never reused, so a name cannot point at another statement's plan.
struct StatementCache {
    let capacity: Int
    private var entries: [String: (name: String, used: UInt64)] = [:]
    private var tick: UInt64 = 0
    private var made = 0

    init(capacity: Int) { self.capacity = max(1, capacity) }

    var count: Int { entries.count }

    /// The statement's name if it is prepared, marking it used.
    mutating func lookup(_ sql: String) -> String? {
        guard let e = entries[sql] else { return nil }
        tick &+= 1
        entries[sql] = (e.name, tick)
        return e.name
    }

    /// A fresh name for `sql`, and the name of the statement evicted to make room (to be deallocated), if any.
    /// The scan for the oldest runs only on a miss with the cache full, so steady traffic never pays for it.
    mutating func insert(_ sql: String) -> (name: String, evicted: String?) {
        var evicted: String?
        if entries.count >= capacity, let oldest = entries.min(by: { $0.value.used < $1.value.used }) {
            evicted = oldest.value.name
            entries[oldest.key] = nil
        }
        made += 1
        tick &+= 1
        let name = "s\(made)"
        entries[sql] = (name, tick)
        return (name, evicted)
    }

    /// Forgets `sql` (its PREPARE failed).
    mutating func remove(_ sql: String) { entries[sql] = nil }
}
