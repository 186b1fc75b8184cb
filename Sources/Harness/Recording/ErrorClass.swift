/// Why a request did not produce an acceptable response.
public enum ErrorClass: String, Sendable, Codable, CaseIterable {
    case connectRefused = "connect_refused"
    case connectTimeout = "connect_timeout"
    case connectOther = "connect_error"
    case timeout
    case reset
    case protocolError = "protocol_error"
    case http4xx = "http_4xx"
    case http5xx = "http_5xx"
    /// 503: the server declined for now and said so (a dependency is down); apart from other 5xx, which are faults.
    case http503 = "http_503"
    /// A status below 400 that the step's check did not accept.
    case checkFailed = "check_failed"

    /// The class for a response whose status failed the step's check.
    public static func forStatus(_ status: Int) -> ErrorClass {
        status == 503 ? .http503 : status >= 500 ? .http5xx : status >= 400 ? .http4xx : .checkFailed
    }
}
