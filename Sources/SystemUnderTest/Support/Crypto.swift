import CCrypto
import Foundation

/// The few primitives hardening needs, from OpenSSL's libcrypto: HMAC-SHA256, SHA-256, random bytes, and a
/// comparison whose time does not depend on where two secrets differ.
public enum Crypto {
    /// An HMAC-SHA256 key made ready once (RFC 2104's padded inner and outer keys), for a key that signs many
    /// messages. OpenSSL 3's one-shot `HMAC()` looks SHA-256 up under a lock on every call, and a send signs two
    /// tokens per email: 14% of campaignd's CPU in a send.
    public struct HMACKey: Sendable {
        let inner: [UInt8]
        let outer: [UInt8]

        public init(_ key: [UInt8]) {
            // A key longer than the block is hashed first; a shorter one is padded with zeros.
            var k = key.count > 64 ? Crypto.digest(key) : key
            k += [UInt8](repeating: 0, count: 64 - k.count)
            inner = k.map { $0 ^ 0x36 }
            outer = k.map { $0 ^ 0x5c }
        }

        public func mac(_ message: String) -> [UInt8] {
            var message = message
            let inside = message.withUTF8 { m in Crypto.digest(inner, UnsafeRawBufferPointer(m)) }
            return inside.withUnsafeBufferPointer { Crypto.digest(outer, UnsafeRawBufferPointer($0)) }
        }
    }

    /// SHA-256 of `prefix` followed by `rest`, with the fetched method.
    static func digest(_ prefix: [UInt8], _ rest: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0)) -> [UInt8] {
        let ctx = EVP_MD_CTX_new()!
        defer { EVP_MD_CTX_free(ctx) }
        var out = [UInt8](repeating: 0, count: Int(SHA256_DIGEST_LENGTH))
        var length: UInt32 = 0
        let ok = EVP_DigestInit_ex(ctx, sha256Method, nil) == 1 && EVP_DigestUpdate(ctx, prefix, prefix.count) == 1
            && (rest.isEmpty || EVP_DigestUpdate(ctx, rest.baseAddress, rest.count) == 1) && EVP_DigestFinal_ex(ctx, &out, &length) == 1
        precondition(ok && length == 32, "SHA-256 failed")
        return out
    }

    /// Fetched once: OpenSSL 3's one-shot `SHA256()` looks the algorithm up, under a lock, on every call (816 ns
    /// against 205 ns for `EVP_Digest` with the fetched method, measured here), and every request hashes its token.
    /// An EVP_MD is immutable once fetched, so threads share it.
    nonisolated(unsafe) static let sha256Method: OpaquePointer = EVP_MD_fetch(nil, "SHA2-256", nil)!

    public static func sha256(_ text: String) -> [UInt8] {
        var text = text
        return text.withUTF8 { digest([], UnsafeRawBufferPointer($0)) }
    }

    /// Every authenticated request hashes its token: hex by table, not String(format:), which cost ~70 µs a request.
    public static func sha256Hex(_ text: String) -> String { hex(sha256(text)) }

    public static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        return String(unsafeUninitializedCapacity: bytes.count * 2) { out in
            for (i, b) in bytes.enumerated() {
                out[2 * i] = digits[Int(b >> 4)]
                out[2 * i + 1] = digits[Int(b & 15)]
            }
            return bytes.count * 2
        }
    }

    public static func randomBytes(_ n: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: n)
        precondition(RAND_bytes(&out, Int32(n)) == 1, "RAND_bytes failed")
        return out
    }

    /// True when `a` and `b` are equal, in time that depends only on their lengths.
    public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        return a.isEmpty || CRYPTO_memcmp(a, b, a.count) == 0
    }

    public static func constantTimeEqual(_ a: String, _ b: String) -> Bool { constantTimeEqual(Array(a.utf8), Array(b.utf8)) }

    /// Base64url without padding (RFC 4648 §5): safe in a URL path. By table: Foundation's encoder and three
    /// replacements cost 40% of campaignd's CPU in a send, where every email carries signed tokens.
    public static func base64url(_ bytes: some Collection<UInt8>) -> String {
        let b = Array(bytes)
        return String(unsafeUninitializedCapacity: (b.count * 4 + 2) / 3) { out in
            let a = base64urlAlphabet
            var o = 0, i = 0
            while i < b.count {
                let n = min(3, b.count - i)
                var v = UInt32(b[i]) << 16
                if n > 1 { v |= UInt32(b[i + 1]) << 8 }
                if n > 2 { v |= UInt32(b[i + 2]) }
                // n bytes give n + 1 characters; padding is left off.
                for k in 0...n { out[o + k] = a[Int(v >> (18 - 6 * UInt32(k)) & 63)] }
                o += n + 1
                i += n
            }
            return o
        }
    }

    static let base64urlAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
}
