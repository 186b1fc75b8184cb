/// Durations as people type them: "90", "90s", "1500ms", "5m", "1h".
public enum DurationText {
    /// Seconds, or nil when `text` is not a positive duration.
    public static func seconds(_ text: String) -> Double? {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        for (u, mult) in units where text.hasSuffix(u) {
            if let n = Double(text.dropLast(u.count)), n > 0, n.isFinite { return n * mult }
        }
        if let n = Double(text), n > 0, n.isFinite { return n }
        return nil
    }

    /// Seconds as `seconds(_:)` reads them back: "1ms", "2.5s".
    public static func text(_ seconds: Double) -> String {
        let (n, unit) = seconds < 1 ? (seconds * 1000, "ms") : (seconds, "s")
        return (n == n.rounded() ? String(Int(n)) : "\(n)") + unit
    }
}
