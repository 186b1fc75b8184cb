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
