/// One HTTP request of a journey. Templates may use `{{name}}` variables taken from earlier steps or the user pool.
public struct Step: Sendable {
    /// The label latency is recorded under, such as "POST /api/login".
    public var name: String
    public var method: String
    public var path: String
    public var headers: [(String, String)]
    public var body: String?
    /// Variables to take from a JSON response body: variable name to top-level key.
    public var extract: [(variable: String, key: String)]
    /// A response outside this range is a failed check, counted as an error.
    public var expectStatus: ClosedRange<Int>

    public init(
        _ name: String? = nil, method: String = "GET", path: String, headers: [(String, String)] = [],
        body: String? = nil, extract: [(variable: String, key: String)] = [], expectStatus: ClosedRange<Int> = 200...399
    ) {
        self.name = name ?? "\(method) \(path)"
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
        self.extract = extract
        self.expectStatus = expectStatus
    }
}

/// An ordered list of steps that one iteration runs, chosen among a mix by `weight`.
public struct Journey: Sendable {
    public var name: String
    public var weight: Double
    public var steps: [Step]
    public init(name: String, weight: Double = 1, steps: [Step]) {
        precondition(!steps.isEmpty && weight > 0)
        self.name = name
        self.weight = weight
        self.steps = steps
    }
}

/// Per-iteration starting variables, such as a user's credentials; index `i` is used for iteration `i` modulo the count.
public struct VariablePool: Sendable {
    public var rows: [[String: String]]
    public init(rows: [[String: String]] = [[:]]) { self.rows = rows.isEmpty ? [[:]] : rows }
}
