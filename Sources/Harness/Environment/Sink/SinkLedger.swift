import Foundation
import Histogram
import Synchronization
import Harness

/// What the sink has received: counts, unique identities, arrival times and delivery latency.
///
/// A message's identity is its Message-ID; campaignd's `<campaign.contact@domain>` form is packed into 64 bits
/// so a million identities cost megabytes, not a hundred.
public final class SinkLedger: Sendable {
    struct State {
        var seen = Set<UInt64>()
        var accepted = 0
        var duplicates = 0
        var transient = 0
        var permanent = 0
        var dropped = 0
        var withoutID = 0
        var perSecond: [Int: Int] = [:]
        var duplicatesPerSecond: [Int: Int] = [:]
        var firstArrival: Double? = nil
        var lastArrival: Double? = nil
        var delivery = LatencyHistogram.delivery()
    }
    private let state = Mutex(State())

    public init() {}

    /// 64-bit identity of a Message-ID.
    static func key(_ messageID: Substring) -> UInt64 {
        var s = messageID
        if s.hasPrefix("<") { s = s.dropFirst() }
        if s.hasSuffix(">") { s = s.dropLast() }
        if let at = s.firstIndex(of: "@"), let dot = s[..<at].firstIndex(of: "."),
           let c = UInt64(s[..<dot]), let k = UInt64(s[s.index(after: dot)..<at]), c < 1 << 24, k < 1 << 39 {
            return c << 39 | k
        }
        // Another sender's id: FNV-1a, with the top bit set so it cannot collide with the packed form.
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h | 1 << 63
    }

    /// Records an accepted message; `enqueuedMs` (Unix ms) gives its delivery latency. Returns false for a repeat.
    @discardableResult
    public func accept(messageID: Substring?, enqueuedMs: Double?, now: Double = Date().timeIntervalSince1970) -> Bool {
        state.withLock { s in
            s.accepted += 1
            s.perSecond[Int(now), default: 0] += 1
            s.firstArrival = s.firstArrival ?? now
            s.lastArrival = now
            guard let id = messageID else { s.withoutID += 1; return true }
            guard s.seen.insert(Self.key(id)).inserted else {
                s.duplicates += 1
                s.duplicatesPerSecond[Int(now), default: 0] += 1
                return false
            }
            if let e = enqueuedMs, now * 1000 >= e {
                s.delivery.record(min(UInt64(max((now * 1000 - e) * 1000, 1)), LatencyHistogram.highestDeliveryMicros))
            }
            return true
        }
    }

    public func reject(permanent: Bool) { state.withLock { s in if permanent { s.permanent += 1 } else { s.transient += 1 } } }
    public func drop() { state.withLock { $0.dropped += 1 } }

    /// Clears everything (between runs of a long-lived sink).
    public func reset() { state.withLock { $0 = State() } }

    /// Unique messages so far: what progress needs, without encoding the histogram that `stats` carries.
    public var uniqueCount: Int { state.withLock { $0.seen.count + $0.withoutID } }

    /// The counters as `GET /stats` serves them.
    public struct Stats: Sendable, Codable, Equatable {
        public var accepted: Int
        public var unique: Int
        public var duplicates: Int
        public var rejected: Int
        public var rejectedTransient: Int
        public var rejectedPermanent: Int
        public var dropped: Int
        public var firstArrival: Double?
        public var lastArrival: Double?
        /// Accepted per Unix second.
        public var perSecond: [String: Int]
        /// Repeats per Unix second: which fault caused them shows in when they came.
        public var duplicatesPerSecond: [String: Int]?
        /// Delivery time (enqueue to acceptance) as a compressed HdrHistogram V2, base64, in microseconds.
        public var deliveryHistogram: String
        enum CodingKeys: String, CodingKey {
            case accepted, unique, duplicates, rejected, dropped
            case rejectedTransient = "rejected_transient", rejectedPermanent = "rejected_permanent"
            case firstArrival = "first_arrival", lastArrival = "last_arrival", perSecond = "per_second"
            case duplicatesPerSecond = "duplicates_per_second"
            case deliveryHistogram = "delivery_histogram"
        }
    }

    public var stats: Stats {
        state.withLock { s in
            Stats(accepted: s.accepted, unique: s.seen.count + s.withoutID, duplicates: s.duplicates, rejected: s.transient + s.permanent,
                  rejectedTransient: s.transient, rejectedPermanent: s.permanent, dropped: s.dropped,
                  firstArrival: s.firstArrival, lastArrival: s.lastArrival,
                  perSecond: Dictionary(uniqueKeysWithValues: s.perSecond.map { (String($0.key), $0.value) }),
                  duplicatesPerSecond: Dictionary(uniqueKeysWithValues: s.duplicatesPerSecond.map { (String($0.key), $0.value) }),
                  deliveryHistogram: HistogramCodec.base64(s.delivery))
        }
    }
}
