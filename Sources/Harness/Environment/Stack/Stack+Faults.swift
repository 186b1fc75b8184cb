import Foundation
import Harness

/// The embedded stack carries out planned faults: it stops or kills its own servers and starts them again on the
/// same port with the same data, slows or stops the mail sink, and drives the fault proxies.
extension Stack: FaultTarget {
    /// Whether this stack can carry `fault` out; the reason when it cannot (checked before anything starts).
    public func cannotCarry(_ fault: FaultSpec) -> String? {
        switch fault.component {
        case .postgres, .redis, .campaignd:
            restarts[fault.component.rawValue] == nil ? "\(fault.component.rawValue) is not started by this stack (an external server)" : nil
        case .sink: sink == nil ? "this stack has no mail sink" : nil
        case .postgresNet, .redisNet: proxies[fault.component] == nil ? "this stack has no fault proxies" : nil
        }
    }

    public func begin(_ fault: FaultSpec) async throws {
        if let why = cannotCarry(fault) { throw StackError("\(fault): \(why)") }
        switch fault.component {
        case .postgres, .redis, .campaignd:
            let name = fault.component.rawValue
            guard let p = process(name) else { throw StackError("\(fault): no \(name) process") }
            setPlannedDown(name, true)
            // kill: SIGKILL, a crash. restart: each server's clean stop (PostgreSQL's fast shutdown). term: SIGTERM,
            // which campaignd answers by draining.
            kill(p.pid, fault.action == .kill ? SIGKILL : p.stopSignal)
            try await Self.blocking {
                let deadline = Date().addingTimeInterval(30)
                while p.isRunning && Date() < deadline { usleep(10_000) }
                if p.isRunning { p.stop(timeout: 0) }
            }
        case .sink:
            var plan = sink!.faults
            sinkPlanBeforeFault = plan
            switch fault.action {
            case .outage: plan.refuseStatus = 503
            case .latency(let ms): (plan.latencyMinMs, plan.latencyMaxMs) = (ms, ms)
            default: break
            }
            sink!.faults = plan
        case .postgresNet, .redisNet:
            let proxy = proxies[fault.component]!
            switch fault.action {
            case .latency(let ms): proxy.mode = .latency(ms: ms)
            case .drop: proxy.mode = .hold
            case .loss(let rate): proxy.mode = .loss(rate: rate)
            case .reset: proxy.resetAll()
            default: break
            }
        }
    }

    public func end(_ fault: FaultSpec) async throws {
        switch fault.component {
        case .postgres, .redis, .campaignd:
            let name = fault.component.rawValue
            guard let start = restarts[name] else { return }
            // Returns once the server answers again (PostgreSQL accepts connections, campaignd listens). After a
            // kill, what the dead server left (PostgreSQL's backends leaving its shared memory) can refuse the first try.
            let p = try await Self.blocking { () throws -> ManagedProcess in
                var attempt = 0
                while true {
                    do { return try start() } catch where attempt < 4 { attempt += 1; usleep(500_000) }
                }
            }
            setPlannedDown(name, false, replacement: p)
        case .sink:
            if let plan = sinkPlanBeforeFault { sink?.faults = plan }
            sinkPlanBeforeFault = nil
        case .postgresNet, .redisNet:
            proxies[fault.component]?.mode = .clean
        }
    }

    /// Runs blocking work (waiting for a process, starting a server) on a thread of its own, off the caller's executor.
    static func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { c in
            Thread { c.resume(with: Result { try body() }) }.start()
        }
    }
}
