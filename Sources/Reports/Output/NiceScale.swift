import Foundation

/// An axis from round value to round value in steps of 1, 2 or 5 times a power of ten, about five of them:
/// 0, 5, 10, 15 rather than 0, 3.8, 7.6, 11.
public struct NiceScale: Sendable, Equatable {
    public var low: Double
    public var high: Double
    public var step: Double

    /// - Parameter headroom: space above `to`, as a share of the span, so a line at the maximum does not lie on the border.
    public init(from: Double, to: Double, headroom: Double, ticks: Int = 5) {
        let top = to + (to - from) * headroom
        let span = max(top - from, abs(top) * 1e-9, 1e-12)
        let raw = span / Double(max(ticks, 1))
        let power = pow(10, floor(log10(raw)))
        step = [1.0, 2, 5, 10].map { $0 * power }.first { $0 >= raw * 0.999 } ?? 10 * power
        low = (from / step).rounded(.down) * step
        high = max((top / step - 1e-9).rounded(.up) * step, low + step)
    }

    public var ticks: [Double] {
        let n = Int(((high - low) / step).rounded())
        return (0...n).map { low + Double($0) * step }
    }

    /// As many decimals as the step needs, and no more.
    public func label(_ v: Double) -> String {
        let decimals = max(0, -Int(floor(log10(step) + 1e-9)))
        let text = String(format: "%.\(decimals)f", v)
        return text == "-0" ? "0" : text
    }
}
