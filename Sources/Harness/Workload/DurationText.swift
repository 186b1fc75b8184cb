/// Durations as people type them: "90", "90s", "1500ms", "5m", "1h".
public enum DurationText {
    /// The longest duration read: 30 days. Beyond it a test is a typo, and its nanoseconds near UInt64's limit.
    public static let longest = 30 * 86_400.0

    /// Seconds, or nil when `text` is not a positive duration of at most `longest`.
    public static func seconds(_ text: String) -> Double? {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        let unit = units.first { text.hasSuffix($0.0) }
        guard let n = Double(unit.map { text.dropLast($0.0.count) } ?? text[...]) else { return nil }
        let seconds = n * (unit?.1 ?? 1)
        return seconds > 0 && seconds <= longest ? seconds : nil
    }

    /// Seconds as `seconds(_:)` reads them back: "1ms", "2.5s", "720h".
    public static func text(_ seconds: Double) -> String {
        let (n, unit) = switch seconds {
        case ..<1: (seconds * 1000, "ms")
        case 3600... where seconds.truncatingRemainder(dividingBy: 3600) == 0: (seconds / 3600, "h")
        default: (seconds, "s")
        }
        return (n == n.rounded() ? String(Int(n)) : "\(n)") + unit
    }
}
