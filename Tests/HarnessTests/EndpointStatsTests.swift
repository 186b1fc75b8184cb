import Foundation
import Testing
@testable import Harness

@Suite struct EndpointStatsTests {
    @Test func mergingIsExact() {
        var a = EndpointStats(name: "a"), b = EndpointStats(name: "b"), all = EndpointStats(name: "all")
        var rng = SplitMix64(seed: 7)
        for i in 0..<10_000 {
            let v = UInt64.random(in: 1_000...5_000_000_000, using: &rng)
            if i % 3 == 0 { a.latency.recordNanos(v) } else { b.latency.recordNanos(v) }
            all.latency.recordNanos(v)
        }
        a.errors[.timeout] = 2
        b.errors[.timeout] = 3
        a.merge(b)
        #expect(a.latency.totalCount == all.latency.totalCount)
        for p in [50.0, 90, 99, 99.9, 100] { #expect(a.latency.valueAtPercentile(p) == all.latency.valueAtPercentile(p)) }
        #expect(a.errors[.timeout] == 5)
    }

    @Test func requestsCountResponsesAndTransportErrorsOnce() {
        var s = EndpointStats(name: "x")
        s.statusClasses[2] = 10
        s.statusClasses[5] = 2
        s.errors[.http5xx] = 2
        s.errors[.reset] = 1
        #expect(s.requests == 13)
        #expect(s.errorCount == 3)
    }
}
