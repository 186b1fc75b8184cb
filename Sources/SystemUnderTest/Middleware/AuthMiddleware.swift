import Hummingbird

/// Resolves `Authorization: Bearer <token>` to a session (L1, then Redis, then PostgreSQL), then applies the
/// per-user rate limit: 429 with Retry-After, and X-RateLimit-* headers on every /api response.
public struct AuthMiddleware: RouterMiddleware {
    public typealias Context = CampaignContext
    let sessions: SessionService
    let limiter: RateLimiter
    let limited: Tally

    init(sessions: SessionService, limiter: RateLimiter, limited: Tally) {
        self.sessions = sessions
        self.limiter = limiter
        self.limited = limited
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let auth = request.headers[.authorization], auth.hasPrefix("Bearer ") else {
            throw APIError(.unauthorized, "missing bearer token", field: "Authorization")
        }
        let token = String(auth.dropFirst(7))
        guard let session = try await sessions.resolve(token: token, timing: context.timing) else {
            throw APIError(.unauthorized, "invalid or expired token", field: "Authorization")
        }
        let decision = await context.timing.cache { await limiter.check(user: session.userID) }
        if let d = decision, !d.allowed {
            limited.add()
            var r = try APIError(.tooManyRequests, "rate limit of \(d.limit) requests per second exceeded").response(from: request, context: context)
            r.headers[.retryAfter] = String(d.resetSeconds)
            Self.annotate(&r, d)
            return r
        }
        var ctx = context
        ctx.session = session
        var response = try await next(request, ctx)
        if let d = decision { Self.annotate(&response, d) }
        return response
    }

    static func annotate(_ r: inout Response, _ d: RateLimiter.Decision) {
        r.headers[.init("X-RateLimit-Limit")!] = String(d.limit)
        r.headers[.init("X-RateLimit-Remaining")!] = String(d.remaining)
        r.headers[.init("X-RateLimit-Reset")!] = String(d.resetSeconds)
    }
}
