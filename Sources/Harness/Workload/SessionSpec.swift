/// Sessions that outlive an iteration, as real users keep one login for many requests (Locust's `on_start`, k6's
/// per-VU state): `setup` runs when a session starts, and the variables it and later steps gather serve the next
/// `iterations` iterations (drawn uniformly from the range), after which a new session starts.
public struct SessionSpec: Sendable {
    public var setup: [Step]
    public var iterations: ClosedRange<Int>

    public init(setup: [Step], iterations: ClosedRange<Int>) {
        precondition(!setup.isEmpty && iterations.lowerBound >= 1)
        self.setup = setup
        self.iterations = iterations
    }

    /// Iterations a session serves on average.
    public var meanIterations: Double { Double(iterations.lowerBound + iterations.upperBound) / 2 }
}
