/// The service-level objective a step must meet. Defaults: p99 ≤ 100 ms and errors ≤ 1% from
/// 001_815ebbed96358a96.txt (performanceBenchmarks.api), and dropped iterations ≤ 1% so that an overloaded
/// generator or server cannot pass by shedding load.
public struct SLO: Sendable, Codable, Equatable {
    public var p99Ms = 100.0
    public var errorRate = 0.01
    public var droppedRate = 0.01
    public init() {}
}
