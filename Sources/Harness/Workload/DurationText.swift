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
}
