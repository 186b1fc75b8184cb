import Foundation
import NIOCore
import NIOHTTP1
import Harness

/// The sink's HTTP side: the provider API `POST /v3/mail/send` (SendGrid v3 style, many recipients per request),
/// and the control endpoints `GET /stats`, `GET|POST /faults`, `POST /reset`.
final class ProviderHTTPHandler: ChannelInboundHandler, @unchecked Sendable {
    // One per channel, touched only on its event loop.
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let sink: MailSink
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()
    private var rng = SystemRandomNumberGenerator()
    static let maxBody = 64 << 20

    init(sink: MailSink) { self.sink = sink }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
            body.clear()
        case .body(var b):
            guard body.readableBytes + b.readableBytes <= Self.maxBody else { respond(context, 413, ["error": "body too large"]); return }
            body.writeBuffer(&b)
        case .end:
            guard let h = head else { return }
            head = nil
            route(context, h)
        }
    }

    private func route(_ context: ChannelHandlerContext, _ h: HTTPRequestHead) {
        let path = h.uri.split(separator: "?").first.map(String.init) ?? h.uri
        switch (h.method, path) {
        case (.POST, "/v3/mail/send"): send(context)
        case (.GET, "/stats"): respond(context, 200, sink.ledger.stats)
        case (.GET, "/faults"): respond(context, 200, sink.faults)
        case (.POST, "/faults"):
            do {
                let plan = try JSONDecoder().decode(FaultPlan.self, from: Data(body.readableBytesView))
                try plan.validate()
                sink.faults = plan
                respond(context, 200, plan)
            } catch let e as SinkError {
                respond(context, 400, ["error": e.description])
            } catch {
                respond(context, 400, ["error": "body is not a fault plan: \(error)"])
            }
        case (.POST, "/reset"):
            sink.ledger.reset()
            respond(context, 200, ["reset": true])
        default: respond(context, 404, ["error": "no route \(h.method) \(path)"])
        }
    }

    struct SendRequest: Decodable {
        struct Personalization: Decodable {
            var headers: [String: String]?
            var customArgs: [String: String]?
            var substitutions: [String: String]?
            enum CodingKeys: String, CodingKey { case headers, substitutions, customArgs = "custom_args" }
        }
        var personalizations: [Personalization]
    }

    struct Result: Encodable {
        var messageID: String
        var status: String
        enum CodingKeys: String, CodingKey { case status, messageID = "message_id" }
    }

    /// Each personalization is one message; its verdict is drawn on its own, as a real provider's would be.
    private func send(_ context: ChannelHandlerContext) {
        guard let req = try? JSONDecoder().decode(SendRequest.self, from: Data(body.readableBytesView)), !req.personalizations.isEmpty else {
            respond(context, 400, ["error": "body must be {\"personalizations\": [...]} with at least one entry"])
            return
        }
        let fault = sink.faults
        let answer = { [self] in
            if fault.refuseStatus != 0 {
                for _ in req.personalizations { sink.ledger.reject(permanent: false) }
                respond(context, fault.refuseStatus, ["error": "refused by the sink's fault plan"])
                return
            }
            // A dropped connection loses the whole request: the sender cannot know which messages arrived.
            if fault.dropRate > 0, Double.random(in: 0..<1, using: &rng) < fault.dropRate {
                sink.ledger.drop()
                context.close(promise: nil)
                return
            }
            var results: [Result] = []
            results.reserveCapacity(req.personalizations.count)
            let noDrop = { var f = fault; f.dropRate = 0; return f }()
            for p in req.personalizations {
                let id = p.headers?["Message-ID"] ?? ""
                switch noDrop.verdict(Double.random(in: 0..<1, using: &rng)) {
                case .transient:
                    sink.ledger.reject(permanent: false)
                    results.append(Result(messageID: id, status: "deferred"))
                case .permanent:
                    sink.ledger.reject(permanent: true)
                    results.append(Result(messageID: id, status: "rejected"))
                case .accept, .drop:
                    sink.accepted(messageID: id.isEmpty ? nil : Substring(id), enqueuedMs: p.customArgs?["enqueued_ms"].flatMap(Double.init),
                                  links: p.substitutions ?? [:])
                    results.append(Result(messageID: id, status: "accepted"))
                }
            }
            respond(context, 200, ["results": results])
        }
        if let delay = fault.latency(using: &rng) {
            context.eventLoop.assumeIsolated().scheduleTask(in: delay) { answer() }
        } else {
            answer()
        }
    }

    private func respond(_ context: ChannelHandlerContext, _ status: Int, _ value: some Encodable) {
        let data = (try? JSONEncoder().encode(value)) ?? Data("{}".utf8)
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Content-Length", value: String(data.count))
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: status), headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: data)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }
}
