import Hummingbird

/// Resolves `Authorization: Bearer <token>` to a session: Redis first, PostgreSQL when Redis misses or is down.
public struct AuthMiddleware: RouterMiddleware {
    public typealias Context = CampaignContext
    let sessions: SessionService

    public init(sessions: SessionService) { self.sessions = sessions }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let auth = request.headers[.authorization], auth.hasPrefix("Bearer ") else {
            throw APIError(.unauthorized, "missing bearer token", field: "Authorization")
        }
        let token = String(auth.dropFirst(7))
        guard let session = try await sessions.resolve(token: token, timing: context.timing) else {
            throw APIError(.unauthorized, "invalid or expired token", field: "Authorization")
        }
        var ctx = context
        ctx.session = session
        return try await next(request, ctx)
    }
}
