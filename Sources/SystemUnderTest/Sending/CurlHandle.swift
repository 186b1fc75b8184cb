import CCurl
import Foundation

/// One libcurl easy handle, reused for every transfer of one sender thread so connections are kept alive.
final class CurlHandle {
    let h: UnsafeMutableRawPointer
    /// Bytes for the upload callback, and the read position.
    var upload: [UInt8] = []
    var uploadPos = 0
    var response: [UInt8] = []

    static let initialised: Bool = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK }()

    init() throws {
        _ = Self.initialised
        guard let h = curl_easy_init() else { throw ConfigError("libcurl: curl_easy_init failed") }
        self.h = h
        ccurl_setopt_long(h, CURLOPT_NOSIGNAL, 1)
        ccurl_setopt_long(h, CURLOPT_CONNECTTIMEOUT_MS, 2000)
        ccurl_setopt_long(h, CURLOPT_TIMEOUT_MS, 30_000)
        ccurl_setopt_long(h, CURLOPT_TCP_NODELAY, 1)
        ccurl_setopt_ptr(h, CURLOPT_READDATA, Unmanaged.passUnretained(self).toOpaque())
        ccurl_setopt_ptr(h, CURLOPT_WRITEDATA, Unmanaged.passUnretained(self).toOpaque())
        ccurl_setopt_io(h, CURLOPT_READFUNCTION) { buf, size, n, ctx in
            let me = Unmanaged<CurlHandle>.fromOpaque(ctx!).takeUnretainedValue()
            let count = min(size * n, me.upload.count - me.uploadPos)
            guard count > 0, let buf else { return 0 }
            me.upload.withUnsafeBytes { src in
                UnsafeMutableRawPointer(buf).copyMemory(from: src.baseAddress! + me.uploadPos, byteCount: count)
            }
            me.uploadPos += count
            return count
        }
        ccurl_setopt_io(h, CURLOPT_WRITEFUNCTION) { buf, size, n, ctx in
            let me = Unmanaged<CurlHandle>.fromOpaque(ctx!).takeUnretainedValue()
            if let buf { me.response.append(contentsOf: UnsafeRawBufferPointer(start: buf, count: size * n)) }
            return size * n
        }
    }

    deinit { curl_easy_cleanup(h) }

    /// Sets a string option; libcurl copies it.
    func set(_ o: CURLoption, _ s: String) { s.withCString { _ = ccurl_setopt_ptr(h, o, $0) } }
    func set(_ o: CURLoption, _ v: Int) { ccurl_setopt_long(h, o, v) }

    /// Runs one transfer; returns curl's code and the protocol's last response code (SMTP or HTTP).
    func perform(upload bytes: [UInt8]) -> (CURLcode, Int) {
        upload = bytes
        uploadPos = 0
        response.removeAll(keepingCapacity: true)
        ccurl_setopt_off(h, CURLOPT_INFILESIZE_LARGE, curl_off_t(bytes.count))
        let rc = curl_easy_perform(h)
        var code = 0
        ccurl_getinfo_long(h, CURLINFO_RESPONSE_CODE, &code)
        return (rc, code)
    }

    static func message(_ rc: CURLcode) -> String { String(cString: curl_easy_strerror(rc)) }
}

/// A libcurl string list, freed with its owner.
final class CurlList {
    private(set) var list: UnsafeMutablePointer<curl_slist>? = nil
    init(_ items: [String]) { for i in items { list = curl_slist_append(list, i) } }
    deinit { curl_slist_free_all(list) }
}
