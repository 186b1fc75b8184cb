/// One campaign and one contact: the stable identity of a message, whatever the number of attempts.
///
/// It appears as the Message-ID (`<c.k@campaignd.mailstorm>`), the HTTP transport's Idempotency-Key, and the
/// tracking tokens (`c-k` for opens, `c-k-n` for the n-th link), so a receiver can recognise a repeat.
public struct MessageIdentity: Sendable, Hashable {
    public var campaign: Int64
    public var contact: Int64

    public init(campaign: Int64, contact: Int64) {
        self.campaign = campaign
        self.contact = contact
    }

    public static let domain = "campaignd.mailstorm"

    public var messageID: String { "<\(campaign).\(contact)@\(Self.domain)>" }
    public var openToken: String { "\(campaign)-\(contact)" }
    public func clickToken(link: Int) -> String { "\(campaign)-\(contact)-\(link)" }

    /// Parses a Message-ID, with or without angle brackets.
    public init?(messageID: String) {
        var s = Substring(messageID)
        if s.hasPrefix("<") && s.hasSuffix(">") { s = s.dropFirst().dropLast() }
        guard s.hasSuffix("@" + Self.domain) else { return nil }
        let parts = s.dropLast(Self.domain.count + 1).split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let c = Int64(parts[0]), let k = Int64(parts[1]), c > 0, k > 0 else { return nil }
        self.init(campaign: c, contact: k)
    }

    /// Parses an open token `c-k` or a click token `c-k-n`; returns the identity and the link index (nil for opens).
    public static func parse(token: Substring) -> (MessageIdentity, Int?)? {
        let parts = token.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2 || parts.count == 3, let c = Int64(parts[0]), let k = Int64(parts[1]), c > 0, k > 0 else { return nil }
        if parts.count == 2 { return (MessageIdentity(campaign: c, contact: k), nil) }
        guard let n = Int(parts[2]), n >= 0 else { return nil }
        return (MessageIdentity(campaign: c, contact: k), n)
    }
}
