import Foundation
import Hummingbird

/// GET /t/o/{token} (open pixel) and GET /t/c/{token} (tracked link): public, recorded as events in batches.
struct TrackingRoutes {
    let events: any EventStore
    let recorder: EventRecorder
    let cache: any KeyValueCache
    let tokens: TrackingTokens

    /// A transparent 1×1 GIF (43 bytes).
    static let pixel: [UInt8] = [
        0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00,
        0xFF, 0xFF, 0xFF, 0x21, 0xF9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2C, 0x00, 0x00, 0x00, 0x00,
        0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3B,
    ]

    func add(to router: Router<CampaignContext>) {
        router.get("/t/o/{token}") { _, context in
            guard let (m, link) = tokens.verify(Substring(context.parameters.get("token") ?? "")), link == nil else {
                throw APIError(.notFound, "unknown tracking token", field: "token")
            }
            recorder.add(TrackingEvent(message: m, kind: .open, url: nil, at: Date()))
            var headers = HTTPFields()
            headers[.contentType] = "image/gif"
            headers[.cacheControl] = "no-store, max-age=0"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: Self.pixel)))
        }
        router.get("/t/c/{token}") { _, context in
            guard let (m, link) = tokens.verify(Substring(context.parameters.get("token") ?? "")), let link else {
                throw APIError(.notFound, "unknown tracking token", field: "token")
            }
            // Links never change once a campaign is sending, so they are cached for an hour.
            let key = "link:\(m.campaign):\(link)"
            var url = await context.timing.cache { await cache.get(key) }
            if url == nil {
                url = try await context.timing.db { try await events.linkURL(campaign: m.campaign, index: link) }
                if let url { await context.timing.cache { await cache.set(key, url, ttl: 3600) } }
            }
            guard let url else { throw APIError(.notFound, "unknown tracked link", field: "token") }
            recorder.add(TrackingEvent(message: m, kind: .click, url: url, at: Date()))
            var headers = HTTPFields()
            headers[.location] = url
            headers[.cacheControl] = "no-store"
            return Response(status: .found, headers: headers)
        }
    }
}

/// POST /api/webhooks/provider: the email provider's delivery events, queued and applied asynchronously.
///
/// The provider authenticates with a shared secret (`Authorization: Bearer <secret>`, compared in constant time),
/// not a user session. Each event must name a message campaignd sent: others are ignored when applied.
struct WebhookRoutes {
    let events: any EventStore
    let secret: String
    static let maxItems = 1000

    func add(to router: Router<CampaignContext>) {
        router.post("/api/webhooks/provider") { request, context in
            guard Crypto.constantTimeEqual(request.headers[.authorization] ?? "", "Bearer \(secret)") else {
                throw APIError(.unauthorized, "missing or wrong webhook secret", field: "Authorization")
            }
            let data = try await JSON.body(request, limit: context.maxUploadSize)
            let items = try Self.parse(data)
            try await context.timing.db {
                // Bounces first: they change whether a contact may be mailed again (seed 002's priority queue).
                try await events.enqueueWebhook(items, priority: items.contains { $0.e == .bounced } ? 1 : 5)
            }
            return try JSON.response(["queued": items.count], status: .accepted)
        }
    }

    /// `[{"event", "message_id", "timestamp" (Unix seconds or ISO 8601), "url"?}]`; errors name the item and field.
    static func parse(_ data: Data) throws -> [ProviderEvent] {
        guard let list = (try? JSONSerialization.jsonObject(with: data)) as? [Any] else {
            throw APIError(.badRequest, "body must be a JSON array of events")
        }
        guard !list.isEmpty, list.count <= maxItems else { throw APIError(.badRequest, "1 to \(maxItems) events per request") }
        return try list.enumerated().map { (i, item) in
            guard let o = item as? [String: Any] else { throw APIError(.badRequest, "event [\(i)] is not an object", field: "[\(i)]") }
            guard let e = (o["event"] as? String).flatMap(ProviderEvent.Kind.init(rawValue:)) else {
                throw APIError(.badRequest, "event [\(i)]: event must be one of \(ProviderEvent.Kind.allCases.map(\.rawValue).joined(separator: ", "))",
                               field: "[\(i)].event")
            }
            guard let m = (o["message_id"] as? String).flatMap(MessageIdentity.init(messageID:)) else {
                throw APIError(.badRequest, "event [\(i)]: message_id is not one of ours", field: "[\(i)].message_id")
            }
            var at = Date()
            switch o["timestamp"] {
            case nil, is NSNull: break
            case let n as NSNumber where !JSON.isBool(n):
                // Years 1970 to 9999: what ISO 8601 and PostgreSQL both hold.
                guard (0...253_402_300_799).contains(n.doubleValue) else {
                    throw APIError(.badRequest, "event [\(i)]: timestamp must be Unix seconds between 1970 and 9999", field: "[\(i)].timestamp")
                }
                at = Date(timeIntervalSince1970: n.doubleValue)
            case let s as String:
                // The years 1970 to 9999 for text too: what the Unix-seconds form allows, and PostgreSQL holds.
                guard let d = Timestamps.date(s), (0...253_402_300_799).contains(d.timeIntervalSince1970) else {
                    throw APIError(.badRequest, "event [\(i)]: timestamp is not an ISO 8601 time from 1970 to 9999", field: "[\(i)].timestamp")
                }
                at = d
            default: throw APIError(.badRequest, "event [\(i)]: timestamp must be a number or a string", field: "[\(i)].timestamp")
            }
            if let u = o["url"], !(u is NSNull), !(u is String) {
                throw APIError(.badRequest, "event [\(i)]: url must be a string", field: "[\(i)].url")
            }
            return ProviderEvent(e: e, c: m.campaign, k: m.contact, t: Timestamps.string(at), u: o["url"] as? String)
        }
    }
}
