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

    /// The steps in the order they ran, the knee (highest passing rate) and the breaking point (lowest failing).
    public func run(_ measure: (Double) async throws -> StepResult) async rethrows -> (steps: [StepResult], knee: Double?, breaking: Double?) {
        var steps: [StepResult] = []
        var pass: Double? = nil, fail: Double? = nil
        var rate = startRate
        while rate <= maxRate && steps.count < maxSteps {
            let r = try await measure(rate)
            steps.append(r)
            if r.pass { pass = rate; rate *= growth } else { fail = rate; break }
        }
        if var lo = pass, var hi = fail {
            while (hi - lo) / lo > resolution && steps.count < maxSteps {
                let mid = ((lo + hi) / 2).rounded()
                guard mid > lo && mid < hi else { break }
                let r = try await measure(mid)
                steps.append(r)
                if r.pass { lo = mid } else { hi = mid }
            }
            pass = lo
            fail = hi
        }
        return (steps, pass, fail)
    }
}
