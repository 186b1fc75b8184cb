import Testing
import Harness
@testable import Scenarios

@Suite struct CapacityLogicTests {
    @Test func uslFitRecoversKnownParameters() throws {
        let truth = USLFit(lambda: 1200, sigma: 0.05, kappa: 0.002, r2: 1)
        let points = [1.0, 2, 4, 8, 16, 32, 64].map { (n: $0, x: truth.throughput(at: $0)) }
        let fit = try #require(USLFit.fit(points))
        #expect(abs(fit.lambda - 1200) / 1200 < 0.01)
        #expect(abs(fit.sigma - 0.05) < 0.005)
        #expect(abs(fit.kappa - 0.002) < 0.0002)
        #expect(fit.r2 > 0.999)
        #expect(abs(fit.peakConcurrency - (0.95 / 0.002).squareRoot()) < 1)
    }

    @Test func uslFitToleratesNoiseAndLinearScaling() throws {
        let noisy = [(1.0, 1010.0), (2, 1930), (4, 3520), (8, 5800), (16, 7400), (32, 7100)].map { (n: $0.0, x: $0.1) }
        let fit = try #require(USLFit.fit(noisy))
        #expect(fit.r2 > 0.98)
        #expect(fit.sigma > 0 && fit.kappa > 0)
        let linear = [1.0, 2, 3, 4].map { (n: $0, x: 100 * $0) }
        let l = try #require(USLFit.fit(linear))
        #expect(abs(l.lambda - 100) < 0.5 && l.sigma < 1e-3 && l.kappa < 1e-6)
        #expect(USLFit.fit([(n: 1, x: 1), (n: 2, x: 2)]) == nil)
    }

    /// A simulated server: fine up to 4,000 req/s, then its p99 explodes.
    static func simulated(_ rate: Double) -> StepResult {
        StepResult(rate: rate, throughput: min(rate, 4000), p99Ms: rate <= 4000 ? 20 : 20 + (rate - 4000), errorRate: 0, droppedRate: 0, slo: SLO())
    }

    @Test func stepSearchFindsTheKnee() async throws {
        let search = StepSearch(startRate: 500, growth: 2, maxRate: 100_000, resolution: 0.05)
        let found = await search.run { Self.simulated($0) }
        let k = try #require(found.knee), b = try #require(found.breaking)
        #expect(k <= 4000 && k >= 4000 * 0.95 && found.kneeConfirmed)
        #expect(b > 4000 && (b - k) / k <= 0.05)
        #expect(Array(found.steps.prefix(6).map(\.rate)) == [500, 1000, 2000, 4000, 8000, 8000], "a break is run twice")
        #expect(found.steps.filter { $0.rate == k }.count == 3, "the knee is run twice more")
    }

    @Test func stepSearchReportsNoKneeWhenTheFirstStepFails() async {
        let first = await StepSearch(startRate: 8000, maxRate: 20_000).run { Self.simulated($0) }
        #expect(first.knee == nil && first.breaking == 8000 && first.steps.map(\.rate) == [8000, 8000] && !first.kneeConfirmed)
        let top = await StepSearch(startRate: 100, growth: 2, maxRate: 1000).run { Self.simulated($0) }
        #expect(top.knee == 800 && top.breaking == nil && top.kneeConfirmed && top.steps.map(\.rate) == [100, 200, 400, 800, 800, 800])
    }

    /// A simulated server whose steps at some rates go the other way the first `times` they run: a stall that
    /// breaks a step below the knee, or a lucky step above it.
    final class Flukes {
        var left: [Double: Int]
        init(_ left: [Double: Int]) { self.left = left }
        func step(_ rate: Double) -> StepResult {
            let honest = CapacityLogicTests.simulated(rate)
            guard let n = left[rate], n > 0 else { return honest }
            left[rate] = n - 1
            return StepResult(rate: rate, throughput: honest.throughput, p99Ms: honest.pass ? 500 : 20, errorRate: 0, droppedRate: 0, slo: SLO())
        }
    }

    @Test func oneStallBelowTheKneeDoesNotEndTheClimb() async throws {
        let server = Flukes([2000: 1])
        let found = await StepSearch(startRate: 500, growth: 2, maxRate: 100_000, resolution: 0.05).run { server.step($0) }
        #expect(try #require(found.knee) >= 3800 && found.kneeConfirmed)
        #expect(found.steps.prefix(5).map(\.pass) == [true, true, false, true, true], "the break at 2,000 is run again (and a third settles it)")
    }

    @Test func aLuckyStepAboveTheKneeIsNotTheKnee() async throws {
        // Bisecting 4,000-8,000 tries 6,000 first: there a fluke passes once, so the knee is not confirmed and the
        // search goes on below it.
        let server = Flukes([6000: 1])
        let found = await StepSearch(startRate: 500, growth: 2, maxRate: 100_000, resolution: 0.05).run { server.step($0) }
        let k = try #require(found.knee)
        #expect(k <= 4000 && k >= 3800 && found.kneeConfirmed)
        #expect(try #require(found.breaking) <= 4200)
        #expect(found.steps.filter { $0.rate == 6000 }.map(\.pass) == [true, false, false], "won once, lost its confirmation 2 to 1")
    }

    @Test func aKneeTheBudgetCannotConfirmSaysSo() async throws {
        let found = await StepSearch(startRate: 500, growth: 2, maxRate: 100_000, resolution: 0.05, maxSteps: 6).run { Self.simulated($0) }
        #expect(found.steps.count == 6 && found.knee != nil && !found.kneeConfirmed)
        let outcome = StressOutcome(found)
        #expect(outcome.render().contains("not confirmed") && outcome.kneeConfirmed == false)
    }

    /// Searches on a server whose steps pass with chance 0.92 up to its knee (a stall breaks the others), then
    /// with less and less, none at 1.25 times the knee: with confirmation the knee lands near the truth far more
    /// often, and almost never below half of it, than when each rate's first step is believed.
    @Test func confirmationKeepsNoisyKneesNearTheTruth() async {
        func searches(confirm: Bool) async -> (near: Double, low: Double) {
            var near = 0, low = 0
            for seed in 0..<400 {
                var rng = SplitMix64(seed: UInt64(seed))
                func step(_ rate: Double) -> StepResult {
                    let chance = rate <= 4000 ? 0.92 : max(0, 0.92 * (1 - (rate - 4000) / 1000))
                    let pass = Double(rng.next() % 1_000_000) / 1_000_000 < chance
                    return StepResult(rate: rate, throughput: rate, p99Ms: pass ? 20 : 500, errorRate: 0, droppedRate: 0, slo: SLO())
                }
                let search = StepSearch(startRate: 500, growth: 1.5, maxRate: 100_000, maxSteps: 16)
                let knee = confirm ? await search.run { step($0) }.knee : Self.firstStepBelieved(search, step)
                if let knee, knee >= 3400 && knee <= 4600 { near += 1 }
                if (knee ?? 0) < 2000 { low += 1 }
            }
            return (Double(near) / 400, Double(low) / 400)
        }
        let confirmed = await searches(confirm: true), believed = await searches(confirm: false)
        #expect(confirmed.near >= 0.8 && confirmed.near >= believed.near + 0.2 && confirmed.low <= 0.1,
                "near the knee, below half of it: \(confirmed) confirmed, \(believed) believed")
    }

    /// The search without confirmation, as it was: climb, then bisect, each rate's first step believed.
    static func firstStepBelieved(_ s: StepSearch, _ measure: (Double) -> StepResult) -> Double? {
        var pass: Double? = nil, fail: Double? = nil, rate = s.startRate, n = 0
        while rate <= s.maxRate && n < s.maxSteps {
            n += 1
            if measure(rate).pass { pass = rate; rate *= s.growth } else { fail = rate; break }
        }
        while let lo = pass, let hi = fail, (hi - lo) / lo > s.resolution, n < s.maxSteps {
            let mid = ((lo + hi) / 2).rounded()
            n += 1
            if measure(mid).pass { pass = mid } else { fail = mid }
        }
        return pass
    }

    @Test func sloJudgesEachLimit() {
        #expect(StepResult(rate: 1, throughput: 1, p99Ms: 100, errorRate: 0.01, droppedRate: 0.01, slo: SLO()).pass)
        #expect(!StepResult(rate: 1, throughput: 1, p99Ms: 101, errorRate: 0, droppedRate: 0, slo: SLO()).pass)
        #expect(!StepResult(rate: 1, throughput: 1, p99Ms: 1, errorRate: 0.02, droppedRate: 0, slo: SLO()).pass)
        #expect(!StepResult(rate: 1, throughput: 1, p99Ms: 1, errorRate: 0, droppedRate: 0.05, slo: SLO()).pass)
    }
}

@Suite struct SpikeAnalysisTests {
    static func row(_ t: Double, p99: Double, errors: UInt64 = 0) -> IntervalRow {
        IntervalRow(t: t, requests: 100, ok: 100 - errors, errors: errors, dropped: 0, rps: 100, p50Ms: p99 / 2, p90Ms: p99, p95Ms: p99,
                    p99Ms: p99, maxMs: p99, inFlight: 0, connections: 1, perEndpoint: [:])
    }

    @Test func recoveryIsTheFirstOfThreeCalmSecondsAfterTheSurge() {
        // Calm at 10 ms, a surge from 10 s to 15 s, then 4 s of decay before p99 is back.
        let p99s: [Double] = [40, 10, 10, 11, 9, 10, 10, 10, 10, 10, 300, 500, 800, 900, 950, 400, 200, 60, 16, 12, 10, 11, 10, 10]
        let rows = p99s.enumerated().map { Self.row(Double($0.offset), p99: $0.element, errors: (10..<15).contains($0.offset) ? 5 : 0) }
        let out = SpikeAnalysis.analyze(rows, start: 10, end: 15)
        #expect(out.levelP99Ms == 10)
        #expect(out.spikeP99Ms == 950)
        #expect(abs(out.spikeErrorRate - 0.05) < 1e-9)
        #expect(out.recoveryLimitMs == 15)
        #expect(out.recoveryS == 4)
    }

    @Test func noRecoveryWhenP99StaysHigh() {
        let rows = (0..<20).map { Self.row(Double($0), p99: $0 < 10 ? 10 : 200) }
        #expect(SpikeAnalysis.analyze(rows, start: 10, end: 12).recoveryS == nil)
    }

    @Test func spikePlanSurgesTenfold() throws {
        let plan = try SpikeScenario().plan(profile: .smoke, overrides: Overrides([]))
        guard case .open(let pacer, _) = plan.workload else { Issue.record("not open"); return }
        #expect(pacer.rate(atNanos: 5_000_000_000) == 25)
        #expect(abs(pacer.rate(atNanos: 17_000_000_000) - 250) < 1e-6)
        #expect(abs(pacer.rate(atNanos: 30_000_000_000) - 25) < 1e-6)
        #expect(pacer.durationNanos == 40_000_000_000)
    }
}

@Suite struct TrendTests {
    @Test func slopeAndConfidence() throws {
        var rng = SplitMix64(seed: 9)
        let rising = (0..<60).map { (t: Double($0), y: 10 + 0.5 * Double($0) + Double.random(in: -1...1, using: &rng)) }
        let r = try #require(Trend.fit(rising))
        #expect(abs(r.slope - 0.5) < 0.02 && r.significant)
        let flat = (0..<60).map { (t: Double($0), y: 10 + Double.random(in: -1...1, using: &rng)) }
        let f = try #require(Trend.fit(flat))
        #expect(!f.significant, "slope \(f.slope) ± \(f.slopeCi95)")
        #expect(Trend.fit([(0, 1), (1, 2)]) == nil)
    }

    @Test func enduranceFlagsOnlyMeaningfulDrift() {
        let leak = EnduranceOutcome(p99Trend: Trend(slope: 0.001, slopeCi95: 0.0001, intercept: 5, samples: 50),
                                    throughputTrend: nil, memoryTrends: ["campaignd": Trend(slope: 0.2, slopeCi95: 0.01, intercept: 40, samples: 50)],
                                    fds: [:], databaseBytes: nil)
        let problems = leak.problems(durationSeconds: 50, p99Level: 5, memoryLevels: ["campaignd": 40])
        #expect(problems.count == 1 && problems[0].contains("campaignd"))
    }
}
