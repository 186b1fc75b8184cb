import Harness

/// Stepwise search for the knee: climb while steps pass, then bisect between the last pass and the first
/// failure until the bracket is narrower than `resolution` (relative). Pure: `measure` runs one step.
public struct StepSearch: Sendable {
    public var startRate: Double
    public var growth: Double
    public var maxRate: Double
    public var resolution: Double
    /// Steps at most, climbing and bisecting together (keeps a smoke profile within its time).
    public var maxSteps: Int

    public init(startRate: Double, growth: Double = 1.5, maxRate: Double, resolution: Double = 0.1, maxSteps: Int = 50) {
        self.startRate = startRate
        self.growth = growth
        self.maxRate = maxRate
        self.resolution = resolution
        self.maxSteps = maxSteps
    }

    /// The search `--set start= max= growth=` ask for; a start above the max is an error, not a search of no steps.
    static func from(_ overrides: Overrides, start: Double, max: Double, maxSteps: Int) throws(UsageError) -> StepSearch {
        let growth = try overrides.number("growth", 1.5, in: 1.05...100)
        let start = try overrides.number("start", start, in: Overrides.rates)
        let max = try overrides.number("max", max, in: Overrides.rates)
        guard start <= max else { throw UsageError("\(overrides.given("start")) is above the max, \(BasicScenario.format(max)): the search would have no step") }
        return StepSearch(startRate: start, growth: growth, maxRate: max, maxSteps: maxSteps)
    }

    /// What a search found: every step in the order it ran, the knee (highest rate that passed) and the breaking
    /// point (lowest that failed), in the units `measure` was given.
    public struct Outcome: Sendable, Equatable {
        public var steps: [StepResult]
        public var knee: Double?
        public var breaking: Double?
        /// The knee won 2 fresh steps of 2 or 3 after the one that found it; false when the budget ran out first.
        public var kneeConfirmed: Bool
    }

    /// Climbs while steps pass, then bisects between the last pass and the first failure.
    ///
    /// One step is a sample, and near the knee the same rate passes some steps and breaks others: over 10 api
    /// searches on one build, 1,582 req/s passed 6 of 7 steps, 1,740 5 of 8, 1,898 8 of 18, 2,136 4 of 11. So no
    /// single break is believed: a step that breaks is run again, and a third settles a disagreement. The knee must
    /// win two fresh steps of its own (or 2 of 3): its first pass was chosen for passing, so it does not count. A
    /// knee that loses is a break, and the search goes on below it. Bisection stops 3 steps before the budget, to
    /// leave the knee its confirmation.
    public func run<E: Error>(_ measure: (Double) async throws(E) -> StepResult) async throws(E) -> Outcome {
        var steps: [StepResult] = []
        // The rate's answer: the first to 2 of passes and breaks, from those given; nil when the steps run out first.
        func settle(_ rate: Double, passes: Int, breaks: Int) async throws(E) -> Bool? {
            var passes = passes, breaks = breaks
            while passes < 2 && breaks < 2 {
                guard steps.count < maxSteps else { return nil }
                let r = try await measure(rate)
                steps.append(r)
                if r.pass { passes += 1 } else { breaks += 1 }
            }
            return passes == 2
        }
        func probe(_ rate: Double) async throws(E) -> Bool? {
            guard steps.count < maxSteps else { return nil }
            let r = try await measure(rate)
            steps.append(r)
            return r.pass ? true : try await settle(rate, passes: 0, breaks: 1)
        }

        var passed: [Double] = []
        var knee: Double? = nil, breaking: Double? = nil
        var rate = startRate
        while rate <= maxRate, let ok = try await probe(rate) {
            if ok { knee = rate; passed.append(rate); rate *= growth } else { breaking = rate; break }
        }
        var confirmed = false
        while let lo = knee {
            if let hi = breaking, (hi - lo) / lo > resolution, steps.count + 3 < maxSteps,
               case let mid = ((lo + hi) / 2).rounded(), mid > lo && mid < hi {
                guard let ok = try await probe(mid) else { break }
                if ok { knee = mid; passed.append(mid) } else { breaking = mid }
                continue
            }
            guard let kept = try await settle(lo, passes: 0, breaks: 0) else { break }
            if kept { confirmed = true; break }
            breaking = lo
            passed.removeAll { $0 >= lo }
            knee = passed.max()
        }
        return Outcome(steps: steps, knee: knee, breaking: breaking, kneeConfirmed: confirmed)
    }
}
