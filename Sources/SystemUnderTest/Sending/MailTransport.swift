import Foundation

/// One message ready to deliver: identity, recipient, rendered content.
public struct OutgoingMessage: Sendable {
    public var identity: MessageIdentity
    public var to: String
    public var subject: String
    public var html: String
    /// When the recipient entered the outbox (Unix ms), carried so the receiver can time delivery.
    public var enqueuedMs: Int64
    public var openURL: String
    public var clickURL: String?
}

/// What happened to one message.
public enum DeliveryResult: Sendable, Equatable {
    case sent
    /// Worth retrying: SMTP 4xx, HTTP 429 or 5xx, a timeout, a dropped connection.
    case transient(String)
    /// Not worth retrying: the message bounces.
    case permanent(String)
}

/// The delivery seam: SMTP (`SMTPTransport`) or an HTTP provider API (libcurl). Blocking; one per sender thread.
public protocol MailTransport: AnyObject {
    /// Messages handed over per call (an SMTP pipeline's length; a provider batch for HTTP).
    var batchSize: Int { get }
    /// A name for metrics and the circuit breaker ("smtp", "http").
    var name: String { get }
    /// Delivers `messages`; one result per message, in order.
    func deliver(_ messages: [OutgoingMessage]) -> [DeliveryResult]
}

/// The transport for a URL: `smtp://host:port` or `http(s)://host:port/path` (a provider's send endpoint).
/// Throws unless `url` names a transport `makeTransport` can build; opens nothing.
public func checkMailURL(_ url: String) throws {
    if url.hasPrefix("smtp://") { _ = try SMTPTransport.address(url); return }
    guard CampaignConfig.isHTTP(url) else { throw ConfigError("--mail-url '\(url)': expected smtp://host:port or http(s)://host/path") }
}

public func makeTransport(url: String, from: String) throws -> any MailTransport {
    if url.hasPrefix("smtp://") { return try SMTPTransport(url: url, from: from) }
    if url.hasPrefix("http://") || url.hasPrefix("https://") { return try HTTPProviderTransport(url: url, from: from) }
    throw ConfigError("--mail-url '\(url)': expected smtp://host:port or http(s)://host/path")
}
