import Glibc

/// A target's socket address, resolved once per run rather than per connection.
struct ResolvedAddress {
    let family: Int32
    private var storage = sockaddr_storage()
    private let length: socklen_t

    /// The first address `host` resolves to, IPv4 before IPv6: the load stays on loopback, where a name such as
    /// localhost resolves to ::1 first while servers often listen on 127.0.0.1 only. Nil if it resolves to none.
    static func resolve(host: String, port: Int) -> ResolvedAddress? {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let list else { return nil }
        defer { freeaddrinfo(list) }
        var found: [ResolvedAddress] = []
        var next: UnsafeMutablePointer<addrinfo>? = list
        while let info = next {
            if let addr = info.pointee.ai_addr { found.append(ResolvedAddress(addr, length: info.pointee.ai_addrlen, family: info.pointee.ai_family)) }
            next = info.pointee.ai_next
        }
        return found.first { $0.family == AF_INET } ?? found.first
    }

    private init(_ addr: UnsafePointer<sockaddr>, length: socklen_t, family: Int32) {
        self.family = family
        self.length = length
        withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: UnsafeRawBufferPointer(start: addr, count: Int(length))) }
    }

    func withSockAddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        withUnsafeBytes(of: storage) { body($0.baseAddress!.assumingMemoryBound(to: sockaddr.self), length) }
    }
}
