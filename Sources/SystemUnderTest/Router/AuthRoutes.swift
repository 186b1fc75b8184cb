import Hummingbird

/// POST /api/login and POST /api/logout.
struct AuthRoutes {
    let sessions: SessionService

    struct Credentials: Decodable {
        var email: String
        var password: String
    }

    struct LoginResponse: Encodable {
        var token: String
        var userID: Int64
        var tenantID: Int64
        enum CodingKeys: String, CodingKey { case token, userID = "user_id", tenantID = "tenant_id" }
    }

    func addPublic(to router: Router<CampaignContext>) {
        router.post("/api/login") { request, context in
            let c = try await JSON.decode(Credentials.self, from: request, context: context)
            guard !c.email.isEmpty else { throw APIError(.badRequest, "email is empty", field: "email") }
            guard !c.password.isEmpty else { throw APIError(.badRequest, "password is empty", field: "password") }
            guard let (token, s) = try await sessions.login(email: c.email, password: c.password, address: context.clientAddress, timing: context.timing) else {
                throw APIError(.unauthorized, "wrong email or password")
            }
            return try JSON.response(LoginResponse(token: token, userID: s.userID, tenantID: s.tenantID))
        }
    }

    func addAuthenticated(to group: RouterGroup<CampaignContext>) {
        group.post("/logout") { request, context in
            _ = try context.requireSession()
            let token = String(request.headers[.authorization]!.dropFirst(7))
            try await sessions.logout(token: token)
            return Response(status: .noContent)
        }
    }
}
