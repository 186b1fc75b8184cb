import Foundation

/// ISO 8601 times as the API writes and reads them.
///
/// Not ISO8601DateFormatter: each instance builds an ICU formatter (about 68 µs here), and one instance cannot be
/// shared between threads on Linux. Made per request, it was 8% of campaignd's CPU in the api mix. The format styles
/// are Sendable values in pure Swift (about 0.25 µs a call); reading is a strict parser of our own, because the
/// styles accept trailing text ("…Zjunk") and invalid dates.
public enum Timestamps {
    static let seconds = Date.ISO8601FormatStyle()
    static let fractional = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    /// "2026-11-30T06:05:05Z": UTC, whole seconds (truncated).
    public static func string(_ d: Date) -> String { d.formatted(seconds) }

    /// "2026-11-30T06:05:05.123Z": with milliseconds (truncated), what an event's timestamptz keeps.
    public static func millis(_ d: Date) -> String { d.formatted(fractional) }

    /// An internet date-time (RFC 3339): `YYYY-MM-DDTHH:MM:SS`, optional fractional seconds, then `Z` or an offset
    /// `±HH:MM` (or `±HHMM`). Nil for anything else, including impossible dates like February 30.
    public static func date(_ s: String) -> Date? {
        var p = Scanner(Array(s.utf8))
        guard let day = p.day(), p.take(UInt8(ascii: "T")), let h = p.number(2), p.take(UInt8(ascii: ":")), let mi = p.number(2),
              p.take(UInt8(ascii: ":")), let sec = p.number(2), h < 24, mi < 60, sec < 60 else { return nil }
        var fraction = 0.0
        if p.take(UInt8(ascii: ".")) {
            var scale = 0.1, digits = 0
            while let d = p.digit() { fraction += Double(d) * scale; scale /= 10; digits += 1 }
            guard digits > 0 else { return nil }
        }
        var offset = 0
        if p.take(UInt8(ascii: "Z")) {
        } else if let sign = p.sign(), let oh = p.number(2), oh < 24 {
            _ = p.take(UInt8(ascii: ":"))
            guard let om = p.number(2), om < 60 else { return nil }
            offset = sign * (oh * 3600 + om * 60)
        } else {
            return nil
        }
        guard p.atEnd else { return nil }
        return Date(timeIntervalSince1970: Double(day * 86_400 + h * 3600 + mi * 60 + sec - offset) + fraction)
    }

    /// A date-time as `date(_:)` reads it, or a calendar date `YYYY-MM-DD` (midnight UTC).
    public static func dateOrDay(_ s: String) -> Date? {
        if let d = date(s) { return d }
        var p = Scanner(Array(s.utf8))
        guard let day = p.day(), p.atEnd else { return nil }
        return Date(timeIntervalSince1970: Double(day * 86_400))
    }

    /// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's days_from_civil).
    static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    private struct Scanner {
        let bytes: [UInt8]
        var i = 0
        init(_ bytes: [UInt8]) { self.bytes = bytes }

        var atEnd: Bool { i == bytes.count }

        mutating func take(_ b: UInt8) -> Bool {
            guard i < bytes.count, bytes[i] == b else { return false }
            i += 1
            return true
        }

        mutating func digit() -> Int? {
            guard i < bytes.count, (48...57).contains(bytes[i]) else { return nil }
            i += 1
            return Int(bytes[i - 1] - 48)
        }

        mutating func number(_ width: Int) -> Int? {
            var n = 0
            for _ in 0..<width {
                guard let d = digit() else { return nil }
                n = n * 10 + d
            }
            return n
        }

        mutating func sign() -> Int? {
            if take(UInt8(ascii: "+")) { return 1 }
            return take(UInt8(ascii: "-")) ? -1 : nil
        }

        /// `YYYY-MM-DD` of a real date, as days since 1970-01-01.
        mutating func day() -> Int? {
            guard let y = number(4), take(UInt8(ascii: "-")), let m = number(2), take(UInt8(ascii: "-")), let d = number(2),
                  (1...12).contains(m), d >= 1 else { return nil }
            let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
            let length = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]
            guard d <= length else { return nil }
            return Timestamps.days(year: y, month: m, day: d)
        }
    }
}
