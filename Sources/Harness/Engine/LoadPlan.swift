/// Everything a load run needs: where, how much, what requests, and the limits.
public struct LoadPlan: Sendable {
    public var target: TargetAddress
    public var workload: Workload
    public var journeys: [Journey]
    public var variables: VariablePool
    /// Pause before each step after the first, and between a VU's iterations.
    public var think: ThinkTime
    /// A request with no response this long after it was written fails as a timeout.
    public var requestTimeoutSeconds: Double
    /// The request timeout by default, as in k6: a connect is part of the request. A fixed 2 s failed connects to
    /// a server too busy to accept that a later SYN retry completed well within the user's timeout.
    public var connectTimeoutSeconds: Double
    /// After the schedule ends, how long in-flight iterations may finish (k6's gracefulStop).
    public var gracefulStopSeconds: Double
    /// When set, iterations run inside sessions that log in once (setup steps) and last many iterations.
    public var session: SessionSpec?
    /// Event loops (threads) generating load; each takes every Nth iteration or VU. Results merge exactly.
    public var threads: Int
    /// Seed for journey choice and think times, so a run's request mix is repeatable.
    public var seed: UInt64
    /// Read each response's Server-Timing header into per-endpoint stage histograms (--profile-server).
    public var captureServerTiming = false
    /// The part of the workload this process offers (`--segment i/n`); the whole by default.
    public var segment: ExecutionSegment = .whole
    /// More instances of the same service (`--target a,b`): iterations go to `target`, then these, round robin.
    public var moreTargets: [TargetAddress] = []
    /// Open model: one timer wake sends every iteration due within this window, early rather than late (a wake per
    /// request cost a timer, an epoll round and a context switch each). Latency counts from the intended time, or
    /// from the send when that came first, so it is never understated; the rate over any longer span is exact.
    public var sendWindowNanos: UInt64 = 1_000_000
    /// Open model: at most this many connections (wrk2's -c); a request finding none free waits for one, timed from
    /// its intended send. nil opens one whenever none is idle, as k6 does; past the server's accept backlog, those
    /// connects wait out SYN retries (1 s and more) that the server never caused.
    public var maxConnections: Int?
    /// Every target, in round-robin order.
    public var targets: [TargetAddress] { [target] + moreTargets }

    public init(
        target: TargetAddress, workload: Workload, journeys: [Journey], variables: VariablePool = VariablePool(),
        think: ThinkTime = .none, requestTimeoutSeconds: Double = 10, connectTimeoutSeconds: Double? = nil,
        gracefulStopSeconds: Double? = nil, threads: Int = 1, seed: UInt64 = 0x5EED, session: SessionSpec? = nil
    ) {
        self.session = session
        self.target = target
        self.workload = workload
        self.journeys = journeys
        self.variables = variables
        self.think = think
        self.requestTimeoutSeconds = requestTimeoutSeconds
        self.connectTimeoutSeconds = connectTimeoutSeconds ?? requestTimeoutSeconds
        self.gracefulStopSeconds = gracefulStopSeconds ?? requestTimeoutSeconds
        self.threads = max(1, threads)
        self.seed = seed
    }

    /// The endpoint labels, in first-use order; recorded stats are indexed the same way.
    public var endpointNames: [String] {
        var seen: [String] = []
        for s in (session?.setup ?? []) + journeys.flatMap(\.steps) where !seen.contains(s.name) { seen.append(s.name) }
        return seen
    }

    /// The highest rate any plan may ask for, per second: the pacer's interval is then 100 ns.
    public static let maxRate = 10_000_000.0
    /// The most requests an open model keeps in flight.
    public static let maxInFlightLimit = 1_000_000

    /// The default in-flight cap for an open model: enough for `rate` x the request timeout (k6's maxVUs analogue).
    public static func defaultMaxInFlight(rate: Double, timeoutSeconds: Double) -> Int {
        // Capped: a day's timeout at 10M req/s would otherwise ask for 10^12 slots.
        min(maxInFlightLimit, max(64, Int((rate * timeoutSeconds).rounded(.up))))
    }
}

/// A small, fast, seedable generator (SplitMix64) so that journey choice is repeatable run to run.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
