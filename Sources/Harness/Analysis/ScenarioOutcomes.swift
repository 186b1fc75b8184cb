/// What one step of a stress search measured.
public struct StepResult: Sendable, Codable, Equatable {
    public var rate: Double
    public var throughput: Double
    public var p99Ms: Double
    public var errorRate: Double
    public var droppedRate: Double
    public var pass: Bool
    /// When the step began, in seconds after the run's load started (the per-second series' time base).
    public var startS: Double?

    public init(rate: Double, throughput: Double, p99Ms: Double, errorRate: Double, droppedRate: Double, slo: SLO) {
        self.rate = rate
        self.throughput = throughput
        self.p99Ms = p99Ms
        self.errorRate = errorRate
        self.droppedRate = droppedRate
        pass = p99Ms <= slo.p99Ms && errorRate <= slo.errorRate && droppedRate <= slo.droppedRate
    }
}

extension StepResult {
    /// A step judged from what the engine measured at `rate` iterations per second.
    public init(measured r: RunResult, rate: Double, slo: SLO = SLO()) {
        let o = r.overall
        let attempted = r.iterationsStarted + r.droppedIterations
        self.init(rate: rate, throughput: r.throughput, p99Ms: o.latency.millis(at: 99),
                  errorRate: o.requests == 0 ? 1 : Double(o.errorCount) / Double(o.requests),
                  droppedRate: attempted == 0 ? 0 : Double(r.droppedIterations) / Double(attempted), slo: slo)
    }
}

/// The service-level objective a step must meet. Defaults: p99 ≤ 100 ms and errors ≤ 1% from
/// 001_815ebbed96358a96.txt (performanceBenchmarks.api), and dropped iterations ≤ 1% so that an overloaded
/// generator or server cannot pass by shedding load.
public struct SLO: Sendable, Codable, Equatable {
    public var p99Ms = 100.0
    public var errorRate = 0.01
    public var droppedRate = 0.01
    public init() {}
}

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
