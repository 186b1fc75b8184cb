import CZlib
import Foundation

/// A few tenths of a second of fixed work that tells two machines apart when their fingerprints agree: hosts
/// here that both say "2x AMD EPYC, 23 GiB" ran the same send 56% apart. The work runs in zlib and glibc,
/// not in Swift, so a debug and a release build of Mailstorm measure the same machine alike. Each figure is the
/// best of several repeats: interference from neighbours only ever slows a repeat down.
public struct SpeedProbe: Codable, Sendable, Equatable {
    /// zlib deflate (level 6) of a fixed 4 MiB buffer, MB/s.
    public var deflateMbPerS: Double
    /// memcpy of 64 MiB, GB/s.
    public var memcpyGbPerS: Double
    /// Relative spread (max/min - 1) of the deflate repeats: how noisy the machine was while probed.
    public var spread: Double

    public init(deflateMbPerS: Double, memcpyGbPerS: Double, spread: Double) {
        self.deflateMbPerS = deflateMbPerS
        self.memcpyGbPerS = memcpyGbPerS
        self.spread = spread
    }

    /// Two probes within this fraction are the same machine; beyond it, another one. 10%: the best-of-7
    /// figures of one machine moved by under 5% between runs here, while the hosts told apart differ by far more.
    public static let tolerance = 0.10

    public static func measure(repeats: Int = 7) -> SpeedProbe {
        var rng = SplitMix64(seed: 42)
        // Half random bytes, half a repeated text: deflate does real matching work on it.
        let size = 4 << 20
        var input = [UInt8](repeating: 0, count: size)
        let text = Array("campaign subject line for the probe; ".utf8)
        for i in 0..<size { input[i] = i % 8192 < 4096 ? UInt8(truncatingIfNeeded: rng.next()) : text[i % text.count] }
        var output = [UInt8](repeating: 0, count: Int(compressBound(uLong(size))))
        var deflate: [Double] = []
        for _ in 0..<repeats {
            var outLen = uLongf(output.count)
            let t0 = DispatchTime.now().uptimeNanoseconds
            _ = compress2(&output, &outLen, input, uLong(size), 6)
            deflate.append(Double(size) / 1e6 / (Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9))
        }
        let big = 64 << 20
        let src = UnsafeMutableRawPointer.allocate(byteCount: big, alignment: 64)
        let dst = UnsafeMutableRawPointer.allocate(byteCount: big, alignment: 64)
        defer { src.deallocate(); dst.deallocate() }
        memset(src, 1, big)
        memset(dst, 0, big)
        var copy: [Double] = []
        for _ in 0..<repeats {
            let t0 = DispatchTime.now().uptimeNanoseconds
            memcpy(dst, src, big)
            copy.append(Double(big) / 1e9 / (Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9))
        }
        let best = deflate.max() ?? 0, worst = deflate.min() ?? 0
        return SpeedProbe(deflateMbPerS: best, memcpyGbPerS: copy.max() ?? 0, spread: worst > 0 ? best / worst - 1 : 0)
    }

    /// This probe relative to `reference` (above 1: this machine is faster), per figure.
    public func ratios(to reference: SpeedProbe) -> (deflate: Double, memcpy: Double) {
        (deflateMbPerS / max(reference.deflateMbPerS, 1e-9), memcpyGbPerS / max(reference.memcpyGbPerS, 1e-9))
    }
}
