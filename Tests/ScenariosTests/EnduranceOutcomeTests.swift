import Testing
import Harness
@testable import Scenarios

/// Endurance verdicts tell growth from leaks: memory that the data explains is not a leak; memory that grows in
/// a process that stores nothing is, and the verdict names the process; a p99 drift names its endpoint.
@Suite struct EnduranceOutcomeTests {
    static func trend(_ slope: Double, ci: Double = 0.001) -> Trend { Trend(slope: slope, slopeCi95: ci, intercept: 0, samples: 600) }

    @Test func postgresGrowthThatTheDatabaseExplainsIsNotALeak() {
        // 40 KiB/s for 600 s while the database grows by 24 MiB: the data, not a leak.
        let e = EnduranceOutcome(p99Trend: nil, throughputTrend: nil, memoryTrends: ["postgres": Self.trend(40.0 / 1024)],
                                 fds: [:], databaseBytes: [9 << 20, (9 + 24) << 20])
        #expect(e.problems(durationSeconds: 600, p99Level: 10, memoryLevels: ["postgres": 150]).isEmpty)
        let noData = EnduranceOutcome(p99Trend: nil, throughputTrend: nil, memoryTrends: ["postgres": Self.trend(40.0 / 1024)], fds: [:], databaseBytes: [9 << 20, 9 << 20])
        #expect(noData.problems(durationSeconds: 600, p99Level: 10, memoryLevels: ["postgres": 150]) == ["postgres memory grows 40.0 KiB/s (±1.0): a leak"])
    }

    @Test func aProcessThatStoresNothingAndGrowsIsNamed() {
        let e = EnduranceOutcome(p99Trend: nil, throughputTrend: nil,
                                 memoryTrends: ["campaignd": Self.trend(0.5), "redis": Self.trend(0.0001, ci: 0.001)], fds: [:], databaseBytes: nil)
        let p = e.problems(durationSeconds: 600, p99Level: 10, memoryLevels: ["campaignd": 50, "redis": 4])
        #expect(p.count == 1 && p[0].hasPrefix("campaignd memory grows 512.0 KiB/s"), "\(p)")
        // Within 10% of its level over the run: noise and warm caches, not a leak.
        let small = EnduranceOutcome(p99Trend: nil, throughputTrend: nil, memoryTrends: ["campaignd": Self.trend(2.2 / 1024)], fds: [:], databaseBytes: nil)
        #expect(small.problems(durationSeconds: 600, p99Level: 10, memoryLevels: ["campaignd": 50]).isEmpty)
    }

    @Test func aLatencyDriftNamesTheEndpointThatDrifts() {
        let e = EnduranceOutcome(p99Trend: Self.trend(0.02), endpointP99Trends: ["GET /api/stats": Self.trend(0.05), "POST /api/login": Self.trend(0.001)],
                                 throughputTrend: nil, memoryTrends: [:], fds: [:], databaseBytes: nil)
        let p = e.problems(durationSeconds: 600, p99Level: 10, memoryLevels: [:])
        #expect(p == ["p99 grows 0.020 ms/s (±0.001), most on GET /api/stats (0.050 ms/s)"])
    }
}
