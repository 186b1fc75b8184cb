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

/// One campaign in full, as GET /api/campaigns/{id} shows it (and the campaign cache holds it).
public struct CampaignDetail: Sendable, Codable, Equatable {
    public var id: Int64
    public var name: String
    public var subject: String
    public var template: String
    public var status: String
    public var segmentID: Int64?
    public var recipients: Int
    public var createdAt: String
    public var updatedAt: String
    public var sendStartedAt: String?
    /// Why the campaign failed (status "failed").
    public var failure: String?

    enum CodingKeys: String, CodingKey {
        case id, name, subject, template, status, recipients, failure
        case segmentID = "segment_id"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case sendStartedAt = "send_started_at"
    }
}

/// A partial update of a campaign; nil leaves a field as it is (`clearSegment` sets segment_id to null).
public struct CampaignChanges: Sendable {
    public var name: String?
    public var subject: String?
    public var template: String?
    public var segmentID: Int64?
    public var clearSegment = false
    public init() {}
}

/// Why a campaign operation did not happen.
public enum CampaignOutcome<T: Sendable>: Sendable {
    case done(T)
    case notFound
    /// The campaign's status does not allow the operation; carries the current status.
    case conflict(String)
}

/// A campaign's delivery numbers and its hourly series (seed 001's email-performance query).
public struct CampaignStats: Sendable, Codable, Equatable {
    public struct Hour: Sendable, Codable, Equatable {
        public var hour: String
        public var sent: Int
        public var bounced: Int
        public var opened: Int
        public var clicked: Int
    }
    public var campaignID: Int64
    public var status: String
    public var recipients: Int
    public var queued: Int
    public var sent: Int
    public var bounced: Int
    public var failed: Int
    public var delivered: Int
    public var opened: Int
    public var clicked: Int
    public var hourly: [Hour]

    enum CodingKeys: String, CodingKey {
        case status, recipients, queued, sent, bounced, failed, delivered, opened, clicked, hourly
        case campaignID = "campaign_id"
    }
}

/// A saved segment.
public struct Segment: Sendable, Codable, Equatable {
    public var id: Int64
    public var name: String
    /// The rule tree as JSON text.
    public var conditions: String
    public var createdAt: String
}
