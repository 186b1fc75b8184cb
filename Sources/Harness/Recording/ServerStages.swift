/// One response's Server-Timing stages in nanoseconds: the database, the cache, waiting for a turn (a login's
/// slot to hash a password) and the rest. Without `wait` a queue for turns read as "render", the handler's own work.
public struct ServerStages: Sendable, Equatable {
    public var db: UInt64
    public var cache: UInt64
    public var wait: UInt64
    public var render: UInt64

    /// The stages in `EndpointStats.stages` order.
    public static let names = ["db", "cache", "wait", "render"]

    public init(db: UInt64, cache: UInt64, wait: UInt64 = 0, render: UInt64) {
        self.db = db
        self.cache = cache
        self.wait = wait
        self.render = render
    }
}
