import Foundation
import NIOCore
import Harness

/// What the mail sink does wrong on purpose: latency, transient and permanent rejections, dropped connections.
///
/// Rates are fractions of messages (0...1). Set at start with flags, or at run time with `POST /faults`.
public struct FaultPlan: Sendable, Codable, Equatable {
    /// Added before each message's reply, drawn uniformly from [min, max] milliseconds.
    public var latencyMinMs: Double = 0
    public var latencyMaxMs: Double = 0
    /// Answered 451 (SMTP) or "deferred" (HTTP): the sender should retry.
    public var transientRate: Double = 0
    /// Answered 550 (SMTP) or "rejected" (HTTP): the sender should give up (a bounce).
    public var permanentRate: Double = 0
    /// The connection is closed instead of answering.
    public var dropRate: Double = 0
    /// Every send is refused as a whole, which says nothing about any recipient: HTTP answers this status (401 a
    /// revoked key, 503 an outage), SMTP answers 421 to the message; 0: none.
    public var refuseStatus = 0

    enum CodingKeys: String, CodingKey {
        case latencyMinMs = "latency_min_ms", latencyMaxMs = "latency_max_ms", transientRate = "transient_rate"
        case permanentRate = "permanent_rate", dropRate = "drop_rate", refuseStatus = "refuse_status"
    }

    public init() {}

    /// Absent keys are 0, so `{"transient_rate": 0.1}` is a whole plan.
    public init(from d: Decoder) throws {
        let c = try d.container(keyedBy: CodingKeys.self)
        latencyMinMs = try c.decodeIfPresent(Double.self, forKey: .latencyMinMs) ?? 0
        latencyMaxMs = try c.decodeIfPresent(Double.self, forKey: .latencyMaxMs) ?? latencyMinMs
        transientRate = try c.decodeIfPresent(Double.self, forKey: .transientRate) ?? 0
        permanentRate = try c.decodeIfPresent(Double.self, forKey: .permanentRate) ?? 0
        dropRate = try c.decodeIfPresent(Double.self, forKey: .dropRate) ?? 0
        refuseStatus = try c.decodeIfPresent(Int.self, forKey: .refuseStatus) ?? 0
    }

    /// Throws naming the field that is out of range.
    public func validate() throws(SinkError) {
        for (name, v) in [("transient_rate", transientRate), ("permanent_rate", permanentRate), ("drop_rate", dropRate)] where !(0...1).contains(v) {
            throw SinkError("\(name) must be between 0 and 1, not \(v)")
        }
        guard refuseStatus == 0 || (400...599).contains(refuseStatus) else { throw SinkError("refuse_status must be 0 or 400 to 599, not \(refuseStatus)") }
        guard transientRate + permanentRate + dropRate <= 1 else { throw SinkError("transient_rate + permanent_rate + drop_rate must not exceed 1") }
        guard latencyMinMs >= 0, latencyMaxMs >= latencyMinMs, latencyMaxMs <= 60_000 else {
            throw SinkError("latency must satisfy 0 <= latency_min_ms <= latency_max_ms <= 60000")
        }
    }

    /// The verdict for one message.
    public enum Verdict: Sendable, Equatable { case accept, transient, permanent, drop }

    /// Draws a verdict with the configured rates; `u` is uniform in [0, 1).
    public func verdict(_ u: Double) -> Verdict {
        if u < transientRate { return .transient }
        if u < transientRate + permanentRate { return .permanent }
        if u < transientRate + permanentRate + dropRate { return .drop }
        return .accept
    }

    /// A latency to add, or nil.
    public func latency<R: RandomNumberGenerator>(using g: inout R) -> TimeAmount? {
        guard latencyMaxMs > 0 else { return nil }
        let ms = latencyMinMs == latencyMaxMs ? latencyMinMs : Double.random(in: latencyMinMs...latencyMaxMs, using: &g)
        return .microseconds(Int64(ms * 1000))
    }
}

/// A bad sink setting.
public struct SinkError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ d: String) { description = d }
}
