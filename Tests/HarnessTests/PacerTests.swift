import Testing
@testable import Harness

@Suite struct PacerTests {
    @Test func constantRateSpacesArrivalsEvenly() {
        let p = ConstantRate(perSecond: 100, durationSeconds: 2)
        #expect(p.dueTime(ofIteration: 0) == 0)
        #expect(p.dueTime(ofIteration: 1) == 10_000_000)
        #expect(p.dueTime(ofIteration: 150) == 1_500_000_000)
        #expect(p.dueTime(ofIteration: 199) == 1_990_000_000)
        #expect(p.dueTime(ofIteration: 200) == nil)
        #expect(p.durationNanos == 2_000_000_000)
    }

    @Test func constantRateCountMatchesRateTimesDuration() {
        let p = ConstantRate(perSecond: 333, durationSeconds: 3)
        var n: UInt64 = 0
        while p.dueTime(ofIteration: n) != nil { n += 1 }
        #expect(n == 999)
    }

    @Test func rampingRateIntegratesTheRate() {
        // 0 -> 100/s over 10 s is 500 arrivals; then 100/s for 5 s is 500 more.
        let p = RampingRate(startRate: 0, stages: [RateStage(target: 100, durationSeconds: 10), RateStage(target: 100, durationSeconds: 5)])
        var n: UInt64 = 0
        var last: UInt64 = 0
        while let t = p.dueTime(ofIteration: n) {
            #expect(t >= last)
            last = t
            n += 1
        }
        #expect(n == 1000)
        // Under a linear ramp from 0, arrival k is due at sqrt(2k D / r1): the 125th at 5 s.
        let t125 = Double(p.dueTime(ofIteration: 125)!) / 1e9
        #expect(abs(t125 - 5) < 0.001)
        #expect(abs(p.rate(atNanos: 5_000_000_000) - 50) < 1e-9)
        #expect(p.rate(atNanos: 12_000_000_000) == 100)
    }

    @Test func rampingDownStopsAtZero() {
        let p = RampingRate(startRate: 200, stages: [RateStage(target: 0, durationSeconds: 2)])
        var n: UInt64 = 0
        while p.dueTime(ofIteration: n) != nil { n += 1 }
        #expect(n == 200)
    }

    @Test func vuStagesInterpolate() {
        let stages = [VUStage(target: 10, durationSeconds: 10), VUStage(target: 10, durationSeconds: 5), VUStage(target: 0, durationSeconds: 5)]
        #expect(VUStage.vus(at: 0, start: 0, stages: stages) == 0)
        #expect(VUStage.vus(at: 5_000_000_000, start: 0, stages: stages) == 5)
        #expect(VUStage.vus(at: 12_000_000_000, start: 0, stages: stages) == 10)
        #expect(VUStage.vus(at: 17_500_000_000, start: 0, stages: stages) == 5)
        #expect(VUStage.vus(at: 30_000_000_000, start: 0, stages: stages) == 0)
    }

    @Test func thinkTimesSampleTheirDistributions() {
        var rng = SplitMix64(seed: 1)
        #expect(ThinkTime.none.sampleNanos(using: &rng) == 0)
        #expect(ThinkTime.constant(seconds: 0.5).sampleNanos(using: &rng) == 500_000_000)
        let uni = (0..<1000).map { _ in ThinkTime.uniform(min: 0.1, max: 0.2).sampleNanos(using: &rng) }
        #expect(uni.allSatisfy { (100_000_000...200_000_000).contains($0) })
        let exp = (0..<20000).map { _ in Double(ThinkTime.exponential(mean: 0.1).sampleNanos(using: &rng)) / 1e9 }
        let mean = exp.reduce(0, +) / Double(exp.count)
        #expect(abs(mean - 0.1) < 0.005)
    }
}
