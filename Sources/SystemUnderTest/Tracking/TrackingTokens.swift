/// Signed tracking tokens: `c-k.sig` for an open, `c-k-n.sig` for the n-th link, where sig is the first 128 bits
/// of HMAC-SHA256 over the rest under a key every instance shares (server_secrets). Without the key no one can
/// forge an open or a click, or walk the ids to read another campaign's links.
public struct TrackingTokens: Sendable {
    let key: Crypto.HMACKey

    public init(key: [UInt8]) { self.key = Crypto.HMACKey(key) }

    /// From the hex the database keeps; nil when it is not 32 bytes or more of hex.
    public init?(hex: String) {
        var bytes: [UInt8] = []
        var it = hex.utf8.makeIterator()
        while let h = it.next() {
            guard let l = it.next(), let hi = Self.nibble(h), let lo = Self.nibble(l) else { return nil }
            bytes.append(hi << 4 | lo)
        }
        guard bytes.count >= 32 else { return nil }
        key = Crypto.HMACKey(bytes)
    }

    static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        default: nil
        }
    }

    public func open(_ m: MessageIdentity) -> String { sign(m.openToken) }
    public func click(_ m: MessageIdentity, link: Int) -> String { sign(m.clickToken(link: link)) }

    func signature(_ body: String) -> String { Crypto.base64url(key.mac(body).prefix(16)) }
    func sign(_ body: String) -> String { body + "." + signature(body) }

    /// The message and link index (nil for an open) of a token this key signed; nil for anything else.
    public func verify(_ token: Substring) -> (MessageIdentity, Int?)? {
        guard let dot = token.lastIndex(of: "."), token.count <= 80 else { return nil }
        let body = String(token[..<dot])
        guard Crypto.constantTimeEqual(Array(token[token.index(after: dot)...].utf8), Array(signature(body).utf8)) else { return nil }
        return MessageIdentity.parse(token: Substring(body))
    }
}
