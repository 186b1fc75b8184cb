/// One concurrency level of a capacity sweep.
public struct CapacityLevel: Sendable, Codable, Equatable {
    public var vus: Int
    public var throughput: Double
    public var p99Ms: Double
    public var errorRate: Double
    public var pass: Bool

    public init(vus: Int, throughput: Double, p99Ms: Double, errorRate: Double, pass: Bool) {
        self.vus = vus
        self.throughput = throughput
        self.p99Ms = p99Ms
        self.errorRate = errorRate
        self.pass = pass
    }
}
