import Foundation
import Hummingbird

/// Adds X-Request-ID, X-Response-Time (seed 001) and Server-Timing to every response, counts it for /metrics,
/// and applies the injected delay knob when one is configured for the route.
public struct ResponseHeadersMiddleware: RouterMiddleware {
    public typealias Context = CampaignContext
    let metrics: HTTPMetrics
    let delays: InjectedDelays
    let cpu: InjectedDelays
    let leak: InjectedLeak?
    let methods: MethodTable

    public init(metrics: HTTPMetrics, delays: InjectedDelays, cpu: InjectedDelays = .none, leak: InjectedLeak? = nil, methods: MethodTable = MethodTable()) {
        self.metrics = metrics
        self.delays = delays
        self.cpu = cpu
        self.leak = leak
        self.methods = methods
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        // The matched pattern ("/api/campaigns/{id}"), so labels stay few; one label per method when none matched.
        let matched = context.endpointPath != nil
        let route = context.endpointPath.map { "\(request.method.rawValue) \($0)" } ?? HTTPMetrics.unmatchedLabel(method: request.method.rawValue)
        if let d = delays.delay(for: route) { try await Task.sleep(for: d) }
        if let c = cpu.delay(for: route) { _ = InjectedCPU.burn(c) }
        leak?.keep()
        let requestID = request.headers[.init("X-Request-ID")!] ?? Self.newRequestID()
        var response: Response
        do {
            response = try await next(request, context)
        } catch let e as APIError {
            response = try e.response(from: request, context: context)
        } catch let e as HTTPResponseError {
            // Hummingbird's and NIO's own (a body over the limit: 413), in the JSON every other error has.
            response = try APIError(e.status, (e as? HTTPError)?.body ?? e.status.reasonPhrase).response(from: request, context: context)
        } catch let e where APIError.unavailable(e) != nil {
            response = try APIError.unavailable(e)!.response(from: request, context: context)
        } catch let e as DatabaseError where e.sqlState == DatabaseError.nulByte {
            response = try APIError(.badRequest, "text must not contain NUL bytes").response(from: request, context: context)
        } catch {
            context.logger.error("unhandled error on \(route): \(error)")
            response = try APIError(.internalServerError, "internal error").response(from: request, context: context)
        }
        // No route matched (endpointPath was unset before the router's not-found responder named it).
        if !matched, response.status == .notFound {
            let allowed = methods.methods(for: request.uri.path)
            if !allowed.isEmpty {
                response = try APIError(.methodNotAllowed, "\(request.method.rawValue) is not served here").response(from: request, context: context)
                response.headers[.allow] = allowed.sorted().joined(separator: ", ")
            }
        }
        let nanos = ServerTiming.nanos(since: start)
        response.headers[.init("X-Request-ID")!] = requestID
        response.headers[.init("X-Response-Time")!] = ServerTiming.ms(nanos) + "ms"
        response.headers[.init("Server-Timing")!] = context.timing.header(totalNanos: nanos)
        metrics.record(route: route, status: Int(response.status.code), nanos: nanos)
        return response
    }

    static func newRequestID() -> String {
        var g = SystemRandomNumberGenerator()
        return String(g.next() as UInt64, radix: 16) + String(g.next() as UInt32, radix: 16)
    }
}

/// The documented delay knob: `--inject-delay "GET /api/campaigns=20"` adds 20 ms to that route, so the
/// harness's own tests can prove a regression is caught.
public struct InjectedDelays: Sendable {
    let byRoute: [String: Duration]

    /// No route gets any.
    public static let none = InjectedDelays(byRoute: [:])
    private init(byRoute: [String: Duration]) { self.byRoute = byRoute }

    /// Parses "METHOD /path=MS" entries; throws naming a malformed one (`flag` names the option in the error).
    public init(_ specs: [String], flag: String = "--inject-delay") throws {
        var m: [String: Duration] = [:]
        for s in specs {
            guard let eq = s.lastIndex(of: "="), let ms = Double(s[s.index(after: eq)...]), ms >= 0, ms <= 60_000 else {
                throw ConfigError("\(flag) '\(s)': expected \"METHOD /path=MILLISECONDS\" (0 to 60000)")
            }
            m[String(s[..<eq]).trimmingCharacters(in: .whitespaces)] = .microseconds(Int64(ms * 1000))
        }
        byRoute = m
    }

    func delay(for route: String) -> Duration? { byRoute.isEmpty ? nil : byRoute[route] ?? byRoute["*"] }
}

/// The CPU knob: `--inject-cpu "GET /api/stats=2"` burns that many milliseconds of this thread's CPU on the
/// route, so a profile has a known hot spot to find (`--inject-delay` sleeps, and a sleep is not on the CPU).
/// Never set in production.
public enum InjectedCPU {
    /// Spins on a hash until the calling thread has used `duration` of CPU time. Not inlined: its name is
    /// what the profile must show.
    @inline(never)
    public static func burn(_ duration: Duration) -> UInt64 {
        let want = UInt64(duration.components.seconds) * 1_000_000_000 + UInt64(duration.components.attoseconds / 1_000_000_000)
        let start = threadCPUNanos()
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        repeat {
            for i in 0..<4096 { h = (h ^ UInt64(i)) &* 0x100_0000_01b3 }
        } while threadCPUNanos() &- start < want
        return h
    }

    static func threadCPUNanos() -> UInt64 {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_nsec)
    }
}

/// The documented leak knob: `--inject-leak BYTES` keeps that many bytes per request for good, so the
/// harness's own tests can prove an endurance run tells a leak from growth. Never set in production.
public final class InjectedLeak: @unchecked Sendable {
    let bytes: Int
    // Guarded by `lock`: requests arrive on every event loop.
    private var kept: [[UInt8]] = []
    private let lock = NSLock()

    public init(bytes: Int) { self.bytes = bytes }

    func keep() {
        let block = [UInt8](repeating: 0xA5, count: bytes)  // written, so the pages are resident
        lock.lock()
        kept.append(block)
        lock.unlock()
    }
}

/// Bad configuration given to campaignd.
public struct ConfigError: Error, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}
