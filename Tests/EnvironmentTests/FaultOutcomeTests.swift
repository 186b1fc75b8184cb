import Testing
@testable import Harness
@testable import Environment

@Suite struct FaultOutcomeTests {
    /// One second of load: 100 requests, `errors` of them failed, the given p99.
    static func second(_ t: Double, errors: UInt64 = 0, p99: Double = 10) -> IntervalRow {
        IntervalRow(t: t, requests: 100, ok: 100 - errors, errors: errors, dropped: 0, rps: 100, p50Ms: 1, p90Ms: 2, p95Ms: 3, p99Ms: p99,
                    maxMs: p99, inFlight: 0, connections: 1, perEndpoint: [:])
    }

    static func histogram(_ ms: [Double]) -> LatencyHistogram {
        var h = LatencyHistogram.latency()
        for v in ms { h.recordNanos(UInt64(v * 1e6)) }
        return h
    }

    @Test func recoveryIsTheFirstSecondFromWhichEverySecondMeetsTheSLO() {
        // Seconds 0-19; the fault lasts 5-8; seconds 8 and 9 still fail, 10 is good, 11 fails again, 12 on are good.
        var rows = (0..<20).map { Self.second(Double($0)) }
        for t in [5, 6, 7, 8, 9, 11] { rows[t] = Self.second(Double(t), errors: 50, p99: 900) }
        let f = FaultOutcome.judge(windows: [FaultWindow(fault: "postgres:restart@5s+3s", began: 5, ended: 8)], intervals: rows, histograms: [:])
        #expect(f.windows[0].recoverySeconds == 4)  // from 8 to second 12
        #expect(f.windows[0].requests == 300 && f.windows[0].errors == 150)
        #expect(f.problems == [], "4 s is within the 5 s limit")
        #expect(f.slowestRecoverySeconds == 4)
    }

    @Test func aServiceThatNeverFellOutRecoversAtOnceAndOneThatStaysOutNever() {
        let good = (0..<10).map { Self.second(Double($0)) }
        let f = FaultOutcome.judge(windows: [FaultWindow(fault: "redis:kill@2s+3s", began: 2, ended: 5)], intervals: good, histograms: [:])
        #expect(f.windows[0].recoverySeconds == 0)
        #expect(f.errorRate(during: ["redis"]) == 0 && f.errorRate(during: ["postgres"]) == nil)
        var bad = good
        bad[9] = Self.second(9, errors: 5)
        let g = FaultOutcome.judge(windows: [FaultWindow(fault: "redis:kill@2s+3s", began: 2, ended: 5)], intervals: bad, histograms: [:])
        #expect(g.windows[0].recoverySeconds == nil && g.slowestRecoverySeconds == .infinity)
        #expect(g.problems == ["fault redis:kill@2s+3s: the service did not recover before the run moved on"])
    }

    @Test func recoveryIsJudgedOnlyUpToTheNextFault() {
        var rows = (0..<20).map { Self.second(Double($0)) }
        for t in 10..<13 { rows[t] = Self.second(Double(t), errors: 100) }  // the second fault's own damage
        let f = FaultOutcome.judge(windows: [FaultWindow(fault: "a:kill@2s", began: 2, ended: 3), FaultWindow(fault: "b:kill@10s+2s", began: 10, ended: 12)],
                                   intervals: rows, histograms: [:])
        #expect(f.windows[0].recoverySeconds == 0, "the first fault is not blamed for the second's errors")
        #expect(f.windows[1].recoverySeconds == 1)
    }

    @Test func theWindowsP99ComesFromItsSecondsMergedNotAveraged() {
        let rows = (0..<6).map { Self.second(Double($0)) }
        // Second 2: 99 fast requests; second 3: one slow one. Averaging the seconds' p99s would give about 500 ms.
        let hs = [2: Self.histogram(Array(repeating: 1, count: 99)), 3: Self.histogram([1000])]
        let f = FaultOutcome.judge(windows: [FaultWindow(fault: "x:kill@2s+2s", began: 2, ended: 4)], intervals: rows, histograms: hs)
        #expect(abs(f.windows[0].p99Ms - 1) < 0.01, "\(f.windows[0].p99Ms)")
    }

    @Test func aFaultThatFailedOrARunWithoutLoadAreSaidSo() {
        let f = FaultOutcome.judge(windows: [FaultWindow(fault: "campaignd:kill@3s", began: 3, ended: 3, error: "ending it failed: no")],
                                   intervals: [], histograms: [:])
        #expect(!f.recoveryJudged && f.problems == ["fault campaignd:kill@3s: ending it failed: no"] && f.slowestRecoverySeconds == nil)
    }

    /// Each repeat is laid on the latest fault that began by its second; a kill may repeat what was in flight,
    /// a SIGTERM nothing, and repeats before any fault belong to none.
    @Test func repeatsAreLaidOnTheFaultBeforeThemAndJudgedByWhatItMayRepeat() {
        var f = FaultOutcome.judge(windows: [FaultWindow(fault: "campaignd:kill@4s", began: 4, ended: 4.5),
                                             FaultWindow(fault: "campaignd:term@10s", began: 10, ended: 10.5)],
                                   intervals: [], histograms: [:])
        // Send seconds, the send starting 1 s before the load: second 3 is load second 2 (before any fault).
        let repeats = [EmailOutcome.Second(t: 3, emails: 1), .init(t: 5, emails: 30), .init(t: 6, emails: 5), .init(t: 12, emails: 2)]
        f.attribute(repeats: repeats, offset: -1, perFault: 50)
        #expect(f.windows.map(\.emailsRepeated) == [35, 2] && f.windows.map(\.repeatsAllowed) == [50, 0])
        #expect(f.problems == ["fault campaignd:term@10s: 2 emails delivered twice, where it may repeat none"])
        f.attribute(repeats: [.init(t: 5, emails: 51)], offset: -1, perFault: 50)
        #expect(f.problems == ["fault campaignd:kill@4s: 51 emails delivered twice, more than the 50 in flight"])
    }
}
