/// The storage seam of campaignd: every query is scoped to a tenant.
public protocol CampaignStore: Sendable {
    /// The user with these credentials, or nil.
    func authenticate(email: String, password: String) async throws -> Session?
    /// Records a session so that it survives a Redis outage.
    func saveSession(token: String, _ session: Session, ttl: Int) async throws
    /// The session for `token`, if it exists and has not expired.
    func session(token: String) async throws -> Session?
    func deleteSession(token: String) async throws
    /// Newest first, `limit` at most, older than `before` (an id) when given: keyset pagination.
    func listCampaigns(tenant: Int64, limit: Int, before: Int64?) async throws -> [Campaign]
    func createCampaign(tenant: Int64, owner: Int64, _ input: NewCampaign) async throws -> Campaign
    func dashboardStats(tenant: Int64) async throws -> DashboardStats
}
