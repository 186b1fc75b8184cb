extension Array where Element == Double {
    /// The middle value (the mean of the two middle ones for an even count); NaN when empty.
    public var median: Double {
        guard !isEmpty else { return .nan }
        let s = sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}
