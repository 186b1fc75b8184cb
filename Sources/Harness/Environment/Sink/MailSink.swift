import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization
import Harness

/// The harness's mail sink: an SMTP server and an HTTP provider API on loopback that count what arrives.
///
/// It is the instrument of the send scenario: unique identities against duplicates, rejects, arrival times
/// and delivery latency, with faults and engagement (opens, clicks, webhooks) configurable.
public final class MailSink: Sendable {
    public let ledger = SinkLedger()
    private let faultState = Mutex(FaultPlan())
    public let engagement: Engagement
    private let group: MultiThreadedEventLoopGroup
    private let channels: Mutex<[Channel]> = Mutex([])
    public let smtpPort: Int
    public let httpPort: Int

    /// The current fault plan; set it any time.
    public var faults: FaultPlan {
        get { faultState.withLock { $0 } }
        set { faultState.withLock { $0 = newValue } }
    }

    public var smtpURL: String { "smtp://127.0.0.1:\(smtpPort)" }
    /// The provider API endpoint campaignd's HTTP transport posts to.
    public var providerURL: String { "http://127.0.0.1:\(httpPort)/v3/mail/send" }
    public var statsURL: String { "http://127.0.0.1:\(httpPort)/stats" }

    /// Binds both listeners (port 0: any free one) on `host`: loopback unless told (a pod binds 0.0.0.0).
    public init(host: String = "127.0.0.1", smtpPort: Int = 0, httpPort: Int = 0, faults: FaultPlan = FaultPlan(),
                engagement: EngagementPlan = EngagementPlan(), threads: Int = 1) throws {
        try faults.validate()
        group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        self.engagement = Engagement(plan: engagement)
        faultState.withLock { $0 = faults }
        let box = SinkBox()
        do {
            let smtp = try ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 1024)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { ch in
                    ch.eventLoop.makeCompletedFuture { try ch.pipeline.syncOperations.addHandler(SMTPSinkHandler(sink: box.sink!)) }
                }
                .bind(host: host, port: smtpPort).wait()
            let http = try ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 1024)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { ch in
                    ch.eventLoop.makeCompletedFuture {
                        try ch.pipeline.syncOperations.configureHTTPServerPipeline()
                        try ch.pipeline.syncOperations.addHandler(ProviderHTTPHandler(sink: box.sink!))
                    }
                }
                .bind(host: host, port: httpPort).wait()
            self.smtpPort = smtp.localAddress?.port ?? 0
            self.httpPort = http.localAddress?.port ?? 0
            channels.withLock { $0 = [smtp, http] }
        } catch {
            try? group.syncShutdownGracefully()
            throw SinkError("cannot bind the mail sink: \(error)")
        }
        box.sink = self
    }

    /// Called for every accepted message; `links` are the tracking URLs when the transport names them.
    func accepted(messageID: Substring?, enqueuedMs: Double?, body: ByteBuffer? = nil, links: [String: String] = [:]) {
        guard ledger.accept(messageID: messageID, enqueuedMs: enqueuedMs) else { return }
        engagement.delivered(messageID: messageID.map(String.init), body: body, links: links)
    }

    /// Closes the listeners and stops engagement.
    public func stop() {
        engagement.stop()
        let chs = channels.withLock { c -> [Channel] in defer { c = [] }; return c }
        for c in chs { try? c.close().wait() }
        try? group.syncShutdownGracefully()
    }
}

/// Lets channel initializers reach the sink, which exists only once both listeners are bound.
private final class SinkBox: @unchecked Sendable {
    var sink: MailSink?
}
