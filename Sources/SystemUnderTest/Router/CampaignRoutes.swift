import Foundation
import Hummingbird

/// /api/campaigns: list, create, get, update, delete, send, pause, resume and per-campaign stats.
struct CampaignRoutes {
    let store: any CampaignStore
    let stats: StatsService
    let cache: any KeyValueCache
    let sender: (any SendTrigger)?

    /// Seed 000 cache_campaign_data: setex("campaign:<id>", 3600, ...). The key carries the tenant, so another
    /// tenant's id can never be served from the cache.
    static let campaignTTL = 3600

    struct CreateBody: Decodable {
        var name: String
        var subject: String
        /// Seed 000's journey calls the body "message"; "template" is accepted too.
        var message: String?
        var template: String?
    }

    /// PATCH body: absent fields stay; `"segment_id": null` clears the segment.
    struct UpdateBody: Decodable {
        var name: String?
        var subject: String?
        var template: String?
        var segmentID: Int64?
        var clearSegment = false
        enum CodingKeys: String, CodingKey { case name, subject, template, segmentID = "segment_id" }
        init(from d: Decoder) throws {
            let c = try d.container(keyedBy: CodingKeys.self)
            name = try c.decodeIfPresent(String.self, forKey: .name)
            subject = try c.decodeIfPresent(String.self, forKey: .subject)
            template = try c.decodeIfPresent(String.self, forKey: .template)
            segmentID = try c.decodeIfPresent(Int64.self, forKey: .segmentID)
            clearSegment = c.contains(.segmentID) && segmentID == nil
        }
    }

    static func key(_ tenant: Int64, _ id: Int64) -> String { "campaign:\(tenant):\(id)" }

    static func validName(_ s: String?) throws -> String? {
        guard let s else { return nil }
        let name = s.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty, name.unicodeScalars.count <= 200 else { throw APIError(.badRequest, "name must be 1 to 200 characters", field: "name") }
        return name
    }

    static func validSubject(_ s: String?) throws -> String? {
        guard let s else { return nil }
        guard !s.isEmpty, s.unicodeScalars.count <= 300 else { throw APIError(.badRequest, "subject must be 1 to 300 characters", field: "subject") }
        return s
    }

    /// A template of the largest size allowed, written with JSON's \\u escapes (12 bytes for a character
    /// beyond the BMP), must still fit: 262,144 characters × 12 bytes, and room for the rest.
    static let bodyLimit = 4 << 20

    static func validTemplate(_ s: String?) throws -> String? {
        guard let s else { return nil }
        guard s.unicodeScalars.count <= 256 * 1024 else { throw APIError(.badRequest, "template is over 262,144 characters", field: "template") }
        return s
    }

    /// After a write: drops this campaign's cache entry and writes the tenant's new dashboard stats through.
    func afterWrite(_ tenant: Int64, _ id: Int64?, timing: ServerTiming) async throws {
        if let id { await timing.cache { await cache.delete([Self.key(tenant, id)]) } }
        try await stats.refresh(tenant: tenant, timing: timing)
    }

    func add(to group: RouterGroup<CampaignContext>) {
        group.get("/campaigns") { request, context in
            let s = try context.requireSession()
            let limit = try request.intParam("limit", default: 20, range: 1...100)
            let before = try request.uri.queryParameters.get("before").map { v -> Int64 in
                guard let n = Int64(v), n > 0 else { throw APIError(.badRequest, "before must be a positive id", field: "before") }
                return n
            }
            let list = try await context.timing.db { try await store.listCampaigns(tenant: s.tenantID, limit: limit, before: before) }
            var page = "{\"campaigns\":[" + list.map(\.json).joined(separator: ",") + "]"
            if list.count == limit, let last = list.last { page += ",\"next_before\":\(last.id)" }
            return JSON.raw(page + "}")
        }
        group.post("/campaigns") { request, context in
            let s = try context.requireSession()
            let b = try await JSON.decode(CreateBody.self, from: request, context: context, limit: Self.bodyLimit)
            // Both are checked: a "message" beside a "template" is ignored, but not unchecked.
            let message = try Self.validTemplate(b.message)
            let new = NewCampaign(name: try Self.validName(b.name)!, subject: try Self.validSubject(b.subject)!,
                                  template: try Self.validTemplate(b.template) ?? message ?? "")
            let c = try await context.timing.db { try await store.createCampaign(tenant: s.tenantID, owner: s.userID, new) }
            try await afterWrite(s.tenantID, nil, timing: context.timing)
            return JSON.raw(c.json, status: .created)
        }
        group.get("/campaigns/{id}") { _, context in
            let s = try context.requireSession()
            let id = try context.id()
            let key = Self.key(s.tenantID, id)
            if let json = await context.timing.cache({ await cache.get(key) }) { return JSON.raw(json, cacheHit: true) }
            guard let c = try await context.timing.db({ try await store.campaign(tenant: s.tenantID, id: id) }) else {
                throw APIError(.notFound, "no such campaign", field: "id")
            }
            let json = String(decoding: try JSONEncoder().encode(c), as: UTF8.self)
            await context.timing.cache { await cache.set(key, json, ttl: Self.campaignTTL) }
            return JSON.raw(json, cacheHit: false)
        }
        group.patch("/campaigns/{id}") { request, context in
            let s = try context.requireSession()
            let id = try context.id()
            let b = try await JSON.decode(UpdateBody.self, from: request, context: context, limit: Self.bodyLimit)
            var ch = CampaignChanges()
            ch.name = try Self.validName(b.name)
            ch.subject = try Self.validSubject(b.subject)
            ch.template = try Self.validTemplate(b.template)
            ch.segmentID = b.segmentID
            ch.clearSegment = b.clearSegment
            if let seg = b.segmentID, seg <= 0 { throw APIError(.badRequest, "segment_id must be a positive id", field: "segment_id") }
            let outcome = try await context.timing.db { try await store.updateCampaign(tenant: s.tenantID, id: id, ch) }
            if case .conflict = outcome, let seg = b.segmentID,
               let c = try await store.campaign(tenant: s.tenantID, id: id), ["draft", "scheduled", "paused"].contains(c.status) {
                // The body was well formed; what it points at is not there (for this tenant).
                throw APIError(.notFound, "no such segment \(seg)", field: "segment_id")
            }
            let c = try outcome.value(action: "edit")
            try await afterWrite(s.tenantID, id, timing: context.timing)
            return try JSON.response(c)
        }
        group.delete("/campaigns/{id}") { _, context in
            let s = try context.requireSession()
            let id = try context.id()
            try await context.timing.db { try await store.deleteCampaign(tenant: s.tenantID, id: id) }.value(action: "delete")
            try await afterWrite(s.tenantID, id, timing: context.timing)
            return Response(status: .noContent)
        }
        for (action, from, to) in [("send", ["draft", "scheduled"], "sending"), ("pause", ["sending"], "paused"), ("resume", ["paused"], "sending")] {
            group.post("/campaigns/{id}/\(action)") { _, context in
                let s = try context.requireSession()
                let id = try context.id()
                let c = try await context.timing.db { try await store.transition(tenant: s.tenantID, id: id, from: from, to: to) }
                    .value(action: action)
                try await afterWrite(s.tenantID, id, timing: context.timing)
                if to == "sending" { sender?.campaignStarted(c.id) }
                return try JSON.response(c, status: .accepted)
            }
        }
        group.get("/campaigns/{id}/stats") { _, context in
            let s = try context.requireSession()
            let id = try context.id()
            guard let st = try await context.timing.db({ try await store.campaignStats(tenant: s.tenantID, id: id) }) else {
                throw APIError(.notFound, "no such campaign", field: "id")
            }
            return try JSON.response(st)
        }
    }
}

/// What the API tells the sender: a campaign entered `sending`, so its recipients should be resolved and sent.
public protocol SendTrigger: Sendable {
    func campaignStarted(_ id: Int64)
}
