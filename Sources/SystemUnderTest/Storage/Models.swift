import Foundation

/// A logged-in user's identity, as kept in a session.
public struct Session: Sendable, Codable, Equatable {
    public var userID: Int64
    public var tenantID: Int64

    /// The compact form stored in Redis: "user:tenant".
    public var encoded: String { "\(userID):\(tenantID)" }
    public init(userID: Int64, tenantID: Int64) {
        self.userID = userID
        self.tenantID = tenantID
    }
    public init?(encoded: String) {
        let p = encoded.split(separator: ":")
        guard p.count == 2, let u = Int64(p[0]), let t = Int64(p[1]) else { return nil }
        self.init(userID: u, tenantID: t)
    }
}

/// A campaign as the API shows it.
public struct Campaign: Sendable, Codable, Equatable {
    public var id: Int64
    public var name: String
    public var subject: String
    public var status: String
    public var createdAt: String

    enum CodingKeys: String, CodingKey {
        case id, name, subject, status
        case createdAt = "created_at"
    }
}

/// Input for a new campaign; seed 000's journey sends name, subject and message.
public struct NewCampaign: Sendable, Codable {
    public var name: String
    public var subject: String
    public var template: String
}

/// The dashboard numbers behind GET /api/stats.
public struct DashboardStats: Sendable, Codable, Equatable {
    public var campaigns: Int
    public var campaignsByStatus: [String: Int]
    public var contacts: Int
    public var generatedAt: String

    enum CodingKeys: String, CodingKey {
        case campaigns, contacts
        case campaignsByStatus = "campaigns_by_status"
        case generatedAt = "generated_at"
    }
}
