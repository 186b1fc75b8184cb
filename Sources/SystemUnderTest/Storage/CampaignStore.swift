/// The storage seam of campaignd: every query is scoped to a tenant.
public protocol CampaignStore: Sendable {
    /// The user with these credentials, or nil.
    func authenticate(email: String, password: String) async throws -> Session?
    /// Records a session so that it survives a Redis outage; `key` is the token's hash, never the token.
    func saveSession(key: String, _ session: Session, ttl: Int) async throws
    /// The session under `key`, if it exists and has not expired, and the seconds it has left.
    func session(key: String) async throws -> (session: Session, ttl: Int)?
    func deleteSession(key: String) async throws
    /// Deletes expired sessions, `limit` at most; how many went.
    func purgeSessions(limit: Int) async throws -> Int
    /// A secret every instance shares (server_secrets), or nil.
    func secret(_ name: String) async throws -> String?
    /// Newest first, `limit` at most, older than `before` (an id) when given: keyset pagination.
    func listCampaigns(tenant: Int64, limit: Int, before: Int64?) async throws -> [Campaign]
    func createCampaign(tenant: Int64, owner: Int64, _ input: NewCampaign) async throws -> Campaign
    func dashboardStats(tenant: Int64) async throws -> DashboardStats
    /// One campaign of `tenant`, or nil (also for another tenant's id).
    func campaign(tenant: Int64, id: Int64) async throws -> CampaignDetail?
    /// Applies `changes` to a campaign that is not sending or sent.
    func updateCampaign(tenant: Int64, id: Int64, _ changes: CampaignChanges) async throws -> CampaignOutcome<CampaignDetail>
    /// Deletes a campaign that never started sending.
    func deleteCampaign(tenant: Int64, id: Int64) async throws -> CampaignOutcome<Void>
    /// Moves a campaign from one of `from` to `to` (send, pause, resume).
    func transition(tenant: Int64, id: Int64, from: [String], to: String) async throws -> CampaignOutcome<CampaignDetail>
    /// Delivery numbers with an hourly series.
    func campaignStats(tenant: Int64, id: Int64) async throws -> CampaignStats?
}

/// Contacts: bulk import, keyset search and segment counts.
public protocol ContactStore: Sendable {
    /// Inserts contacts through COPY from chunks that arrive while it runs, in one transaction (all or nothing);
    /// existing emails are skipped. Each chunk names its tenant. Returns how many were new.
    func importContacts(chunks: ChunkQueue<ImportChunk>) async throws -> Int
    /// A page of contacts matching `rule`, ordered by id, after `after`: JSON array text and the last id.
    func searchContacts(tenant: Int64, rule: SegmentRule, after: Int64, limit: Int) async throws -> (json: String, lastID: Int64?, count: Int)
    /// How many contacts match `rule`.
    func countContacts(tenant: Int64, rule: SegmentRule) async throws -> Int
    func createSegment(tenant: Int64, name: String, conditions: String) async throws -> Segment
    func segment(tenant: Int64, id: Int64) async throws -> Segment?
    func listSegments(tenant: Int64) async throws -> [Segment]
}
