import Foundation
import Hummingbird

/// /api/campaigns: list (keyset-paginated) and create.
struct CampaignRoutes {
    let store: any CampaignStore
    let stats: StatsService

    struct CreateBody: Decodable {
        var name: String
        var subject: String
        /// Seed 000's journey calls the body "message"; "template" is accepted too.
        var message: String?
        var template: String?
    }

    struct Page: Encodable {
        var campaigns: [Campaign]
        var nextBefore: Int64?
        enum CodingKeys: String, CodingKey { case campaigns, nextBefore = "next_before" }
    }

    func add(to group: RouterGroup<CampaignContext>) {
        group.get("/campaigns") { request, context in
            let s = try context.requireSession()
            let limit = try Self.intParam(request, "limit", default: 20, range: 1...100)
            let before = try request.uri.queryParameters.get("before").map { v -> Int64 in
                guard let n = Int64(v), n > 0 else { throw APIError(.badRequest, "before must be a positive id", field: "before") }
                return n
            }
            let list = try await context.timing.db { try await store.listCampaigns(tenant: s.tenantID, limit: limit, before: before) }
            return try JSON.response(Page(campaigns: list, nextBefore: list.count == limit ? list.last?.id : nil))
        }
        group.post("/campaigns") { request, context in
            let s = try context.requireSession()
            let b = try await JSON.decode(CreateBody.self, from: request, context: context)
            let name = b.name.trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty, name.count <= 200 else { throw APIError(.badRequest, "name must be 1 to 200 characters", field: "name") }
            guard !b.subject.isEmpty, b.subject.count <= 300 else { throw APIError(.badRequest, "subject must be 1 to 300 characters", field: "subject") }
            let template = b.template ?? b.message ?? ""
            guard template.utf8.count <= 256 * 1024 else { throw APIError(.badRequest, "template is over 256 KiB", field: "template") }
            let c = try await context.timing.db {
                try await store.createCampaign(tenant: s.tenantID, owner: s.userID, NewCampaign(name: name, subject: b.subject, template: template))
            }
            await context.timing.cache { await stats.invalidate(tenant: s.tenantID) }
            return try JSON.response(c, status: .created)
        }
    }

    static func intParam(_ request: Request, _ name: String, default d: Int, range: ClosedRange<Int>) throws -> Int {
        guard let v = request.uri.queryParameters.get(name) else { return d }
        guard let n = Int(v), range.contains(n) else {
            throw APIError(.badRequest, "\(name) must be an integer in \(range.lowerBound)...\(range.upperBound)", field: name)
        }
        return n
    }
}
