import Foundation
import Testing
@testable import SystemUnderTest

/// Timestamps against Foundation's ISO8601DateFormatter, which campaignd used before and which no one here wrote.
@Suite struct TimestampsTests {
    let plain = ISO8601DateFormatter()
    let withFraction: ISO8601DateFormatter = {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f
    }()

    @Test func writesWhatFoundationWrites() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<5000 {
            let whole = Date(timeIntervalSince1970: Double(UInt64.random(in: 0...253_402_300_799, using: &rng)))
            #expect(Timestamps.string(whole) == plain.string(from: whole))
            #expect(Timestamps.millis(whole) == withFraction.string(from: whole))
            // Fractions are cut, not rounded: a time is never written later than it was.
            let later = whole.addingTimeInterval(0.9996)
            #expect(Timestamps.string(later) == plain.string(from: whole))
            #expect(Timestamps.millis(later).hasSuffix(".999Z"), "\(Timestamps.millis(later))")
        }
    }

    @Test func readsWhatFoundationReads() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<5000 {
            let t = Date(timeIntervalSince1970: Double(UInt64.random(in: 0...253_402_300_799, using: &rng)))
            let f = ISO8601DateFormatter()
            f.timeZone = TimeZone(secondsFromGMT: Int.random(in: -12...14, using: &rng) * 3600 + [0, 1800, 2700].randomElement(using: &rng)!)
            var s = f.string(from: t)  // "…+05:30" or "…Z"
            #expect(Timestamps.date(s) == plain.date(from: s), "\(s)")
            // With fractional seconds, which the plain formatter refuses.
            let ms = Int.random(in: 0...999, using: &rng)
            s.insert(contentsOf: "." + String(format: "%03d", ms), at: s.index(s.startIndex, offsetBy: 19))
            let mine = Timestamps.date(s), theirs = withFraction.date(from: s)
            #expect(mine != nil && theirs != nil && abs(mine!.timeIntervalSince(theirs!)) < 1e-6, "\(s)")
        }
        #expect(Timestamps.date("2026-11-30T06:05:05-0830") == plain.date(from: "2026-11-30T06:05:05-0830"))
    }

    @Test func refusesWhatIsNotAnInternetTime() {
        for s in ["", "garbage", "2026-11-30", "2026-11-30T06:05:05", "2026-11-30T06:05Z", "2026-11-30T06:05:05Zjunk", " 2026-11-30T06:05:05Z",
                  "2026-02-30T00:00:00Z", "2025-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-11-30T24:00:00Z", "2026-11-30T06:60:00Z",
                  "2026-11-30T06:05:60Z", "2026-11-30T06:05:05.Z", "2026-11-30T06:05:05+2400", "2026-11-30t06:05:05z"] {
            #expect(Timestamps.date(s) == nil, "\(s)")
        }
        #expect(Timestamps.date("2024-02-29T00:00:00Z") == plain.date(from: "2024-02-29T00:00:00Z"))
    }

    @Test func readsCalendarDaysAsMidnightUTC() {
        var rng = SystemRandomNumberGenerator()
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        for _ in 0..<2000 {
            let t = Date(timeIntervalSince1970: Double(UInt64.random(in: 0...253_402_300_799, using: &rng)))
            let c = calendar.dateComponents([.year, .month, .day], from: t)
            let s = String(format: "%04d-%02d-%02d", c.year!, c.month!, c.day!)
            #expect(Timestamps.dateOrDay(s) == calendar.date(from: c), "\(s)")
        }
        #expect(Timestamps.dateOrDay("2026-11-30T06:05:05Z") == plain.date(from: "2026-11-30T06:05:05Z"))
        #expect(Timestamps.dateOrDay("2026-11-30xyz") == nil)
        #expect(Timestamps.dateOrDay("2026-02-30") == nil)
    }

    @Test func serverTimingMillisecondsMatchPrintf() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<5000 {
            // Away from a half microsecond, where printf's binary rounding and ours could part.
            let n = UInt64.random(in: 0...20_000_000_000, using: &rng) / 1000 * 1000 + UInt64.random(in: 0...400, using: &rng)
            #expect(ServerTiming.ms(n) == String(format: "%.3f", Double(n) / 1e6), "\(n)")
        }
        #expect(ServerTiming.ms(0) == "0.000")
        #expect(ServerTiming.ms(999_500) == "1.000")
        #expect(ServerTiming.ms(12_345_678) == "12.346")
    }
}
