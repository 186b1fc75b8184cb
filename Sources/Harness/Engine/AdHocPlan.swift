import Foundation

/// The plan behind `mailstorm http URL`: one request, repeated like wrk (closed, C connections flat out)
/// or like wrk2 (open, at a fixed rate).
public enum AdHocPlan {
    public static func make(
        url: String, durationSeconds: Double, rate: Double?, connections: Int, maxInFlight: Int?, method: String,
        headers: [String], body: String?, timeoutSeconds: Double, threads: Int
    ) throws(UsageError) -> LoadPlan {
        let target = try TargetAddress(url: url)
        guard durationSeconds > 0 else { throw UsageError("--duration must be positive") }
        // Bounds past which counts would overflow or exhaust the machine, as `run --set` has them.
        guard (1...100_000).contains(connections) else { throw UsageError("--connections must be 1 to 100000") }
        guard timeoutSeconds > 0 else { throw UsageError("--timeout must be positive") }
        var parsed: [(String, String)] = []
        for h in headers {
            guard let colon = h.firstIndex(of: ":"), colon != h.startIndex else { throw UsageError("--header '\(h)': expected 'Name: value'") }
            parsed.append((String(h[..<colon]), String(h[h.index(after: colon)...]).trimmingCharacters(in: .whitespaces)))
        }
        let m = method.uppercased()
        guard !m.isEmpty, m.allSatisfy({ $0.isLetter }) else { throw UsageError("--method '\(method)' is not an HTTP method") }
        let workload: Workload
        if let rate {
            guard rate > 0, rate <= LoadPlan.maxRate else { throw UsageError("--rate must be above 0 and at most \(Int(LoadPlan.maxRate))") }
            let cap = maxInFlight ?? LoadPlan.defaultMaxInFlight(rate: rate, timeoutSeconds: timeoutSeconds)
            guard (1...LoadPlan.maxInFlightLimit).contains(cap) else { throw UsageError("--max-in-flight must be 1 to \(LoadPlan.maxInFlightLimit)") }
            workload = .open(pacer: ConstantRate(perSecond: rate, durationSeconds: durationSeconds), maxInFlight: cap)
        } else {
            workload = .closed(startVUs: connections, stages: [VUStage(target: connections, durationSeconds: durationSeconds)])
        }
        // The URL's path is already the target's prefix; the step's own path is empty.
        let step = Step("\(m) \(target.path.isEmpty ? "/" : target.path)", method: m, path: "", headers: parsed, body: body, expectStatus: 200...399)
        // Templates would treat "{{" in a literal body as a variable; ad-hoc bodies are sent as given.
        return LoadPlan(target: target, workload: workload, journeys: [Journey(name: "http", steps: [step])],
                        requestTimeoutSeconds: timeoutSeconds, gracefulStopSeconds: min(timeoutSeconds, 2), threads: threads)
    }
}
