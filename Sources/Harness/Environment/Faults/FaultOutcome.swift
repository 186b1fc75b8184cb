import Harness
/// What each planned fault did to the run: requests, errors and p99 while it lasted, and how long after it
/// ended the service met its SLO again.
public struct FaultOutcome: Sendable, Codable, Equatable {
    public struct Window: Sendable, Codable, Equatable {
        public var fault: String
        /// Seconds after the load started: when the fault took effect, and when its component was ready again.
        public var began: Double
        public var ended: Double
        /// Requests completed in the seconds the fault overlapped, and errors among them.
        public var requests: UInt64
        public var errors: UInt64
        /// p99 of those seconds, from their merged histograms (never an average of per-second p99s).
        public var p99Ms: Double
        /// From `ended` to the start of the first second from which every second met the SLO, up to the next
        /// fault or the end of the run; nil when that never happened.
        public var recoverySeconds: Double?
        /// Why the fault could not be carried out, when it could not.
        public var error: String?
        /// Emails delivered twice after the fault (until the next began), and how many it may repeat: what was
        /// in flight, for a fault that can cut a send's batch short; none otherwise. Nil without a send.
        public var emailsRepeated: Int?
        public var repeatsAllowed: Int?
    }

    public var windows: [Window]
    /// What "recovered" means: each second's p99 and error rate within it.
    public var slo: SLO
    /// Recovery must take at most this long.
    public var recoveryLimitSeconds: Double
    /// False when the run had no request load to judge recovery by (a send): the scenario's own checks decide.
    public var recoveryJudged: Bool

    /// Faults not carried out, and recoveries too slow or missing.
    public var problems: [String] { windows.compactMap(problem) }

    /// What is wrong with one fault's window, if anything.
    public func problem(_ w: Window) -> String? {
        if let e = w.error { return "fault \(w.fault): \(e)" }
        if let n = w.emailsRepeated, n > (w.repeatsAllowed ?? 0) {
            let allowed = w.repeatsAllowed ?? 0
            return "fault \(w.fault): \(n) emails delivered twice, " + (allowed == 0 ? "where it may repeat none" : "more than the \(allowed) in flight")
        }
        guard recoveryJudged else { return nil }
        guard let r = w.recoverySeconds else { return "fault \(w.fault): the service did not recover before the run moved on" }
        return r > recoveryLimitSeconds ? "fault \(w.fault): recovery took \(Self.format(r)) s, limit \(Self.format(recoveryLimitSeconds)) s" : nil
    }

    static func format(_ s: Double) -> String { String(format: "%.1f", s) }

    /// The slowest recovery (infinity when one never came); nil without faults or a load to judge by.
    public var slowestRecoverySeconds: Double? {
        guard recoveryJudged, !windows.isEmpty else { return nil }
        return windows.map { $0.recoverySeconds ?? .infinity }.max()
    }

    /// Errors per request while faults of `components` lasted; nil when there were none, or no requests then.
    public func errorRate(during components: Set<String>) -> Double? {
        let hit = windows.filter { w in components.contains(String(w.fault.prefix { $0 != ":" })) }
        let requests = hit.reduce(0) { $0 + $1.requests }
        return requests == 0 ? nil : Double(hit.reduce(0) { $0 + $1.errors }) / Double(requests)
    }

    /// Lays each repeated delivery on the latest fault that began by the end of its second (a repeat follows
    /// the restart that sent it again). `repeats` are seconds after the send began, `offset` seconds after
    /// the load started; `perFault` is what one fault that can cut a batch short may repeat.
    public mutating func attribute(repeats: [EmailOutcome.Second], offset: Double, perFault: Int) {
        for i in windows.indices {
            windows[i].emailsRepeated = 0
            windows[i].repeatsAllowed = (try? FaultSpec(parsing: windows[i].fault))?.maySendTwice == true ? perFault : 0
        }
        for r in repeats {
            let t = r.t + offset
            if let i = windows.indices.last(where: { windows[$0].began < t + 1 }) { windows[i].emailsRepeated! += r.emails }
        }
    }

    /// Judges measured `windows` against the run's per-second rows and the histograms of those seconds
    /// (`histograms[i]` is interval i's). Windows are in the rows' time base (seconds after the load started).
    public static func judge(windows: [FaultWindow], intervals: [IntervalRow], histograms: [Int: LatencyHistogram],
                             slo: SLO = SLO(), recoveryLimitSeconds: Double = 5) -> FaultOutcome {
        let sorted = windows.sorted { $0.began < $1.began }
        let runEnd = intervals.last.map { $0.t + 1 } ?? 0
        let judged = sorted.enumerated().map { (n, w) -> Window in
            // The seconds the fault overlapped; an instant fault (a reset) has the second it fell in.
            let during = intervals.indices.filter { i in
                let t = intervals[i].t
                return t < max(w.ended, w.began + 1e-9) && t + 1 > w.began
            }
            var merged = LatencyHistogram.latency()
            for i in during { if let h = histograms[i] { merged.add(h) } }
            let horizon = n + 1 < sorted.count ? sorted[n + 1].began : runEnd
            return Window(fault: w.fault, began: w.began, ended: w.ended,
                          requests: during.reduce(0) { $0 + intervals[$1].requests }, errors: during.reduce(0) { $0 + intervals[$1].errors },
                          p99Ms: merged.millis(at: 99),
                          recoverySeconds: recovery(after: w.ended, until: horizon, intervals: intervals, slo: slo), error: w.error)
        }
        return FaultOutcome(windows: judged, slo: slo, recoveryLimitSeconds: recoveryLimitSeconds, recoveryJudged: !intervals.isEmpty)
    }

    /// The first second, from the one holding `end` to the last that ends by `horizon`, from which every second
    /// meets the SLO; its distance from `end` (0 when the service never fell out of it).
    static func recovery(after end: Double, until horizon: Double, intervals: [IntervalRow], slo: SLO) -> Double? {
        let after = intervals.filter { $0.t + 1 > end && $0.t + 1 <= horizon + 1e-9 }
        guard !after.isEmpty else { return nil }
        func meets(_ r: IntervalRow) -> Bool {
            r.requests == 0 || (r.p99Ms <= slo.p99Ms && Double(r.errors) / Double(r.requests) <= slo.errorRate)
        }
        guard meets(after.last!) else { return nil }
        var k = after.count - 1
        while k > 0 && meets(after[k - 1]) { k -= 1 }
        return max(after[k].t - end, 0)
    }
}
