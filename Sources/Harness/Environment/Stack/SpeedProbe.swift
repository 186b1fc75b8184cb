import CZlib
import Foundation
import Harness

/// Half a second of fixed work that tells two machines apart when their fingerprints agree: hosts here that both
/// say "2x AMD EPYC, 23 GiB" ran the same send 56% apart. The work runs in zlib and glibc, not in Swift, so a
/// debug and a release build of Mailstorm measure the same machine alike. Each probe is the best of fifteen
/// repeats (interference only ever slows a repeat down), yet one host here still moved between 47 and 66 MB/s
/// over minutes: so a run probes before every trial, and only a difference beyond the probes' own spread
/// counts as another machine.
public struct SpeedProbe: Codable, Sendable, Equatable {
    /// zlib deflate (level 6) of a fixed 2 MiB buffer, MB/s: the median of `deflateSamples`.
    public var deflateMbPerS: Double
    /// memcpy of 32 MiB, GB/s (median). Reported only: it swung by ±20% between probes of one machine here.
    public var memcpyGbPerS: Double
    /// One deflate figure per probe (a run takes one before each trial): their spread is the machine's own noise.
    public var deflateSamples: [Double]

    public init(deflateMbPerS: Double, memcpyGbPerS: Double, deflateSamples: [Double]? = nil) {
        self.deflateMbPerS = deflateMbPerS
        self.memcpyGbPerS = memcpyGbPerS
        self.deflateSamples = deflateSamples ?? [deflateMbPerS]
    }

    /// The difference (in log units) that counts as another machine when the probes give no estimate of their
    /// noise (one probe a side): probes minutes apart on one host here ranged over 47 to 66 MB/s.
    public static let defaultTolerance = 0.25
    /// The least tolerance, however quiet the probes: 15%.
    public static let minimumTolerance = 0.15

    public static func measure(repeats: Int = 15) -> SpeedProbe {
        var rng = SplitMix64(seed: 42)
        // Half random bytes, half a repeated text: deflate does real matching work on it.
        let size = 2 << 20
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
        let big = 32 << 20
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
        return SpeedProbe(deflateMbPerS: deflate.max() ?? 0, memcpyGbPerS: copy.max() ?? 0)
    }

    /// Several probes (one per trial) as one: medians, and every deflate figure kept.
    public static func combine(_ probes: [SpeedProbe]) -> SpeedProbe? {
        guard !probes.isEmpty else { return nil }
        let samples = probes.flatMap(\.deflateSamples)
        return SpeedProbe(deflateMbPerS: samples.median, memcpyGbPerS: probes.map(\.memcpyGbPerS).median, deflateSamples: samples)
    }

    /// The pooled standard deviation (log units) of both sides' deflate figures, each side around its own
    /// mean; nil when neither side has two probes.
    public func pooledSigma(with reference: SpeedProbe) -> Double? {
        PooledSpread.sigma([deflateSamples, reference.deflateSamples].map { $0.map { log(max($0, 1e-9)) } })?.sigma
    }

    /// How far this machine's deflate figure may sit from `reference`'s (in log units) before it counts as
    /// another machine: three pooled standard deviations of both sides' probes, at least 15%; 25% when
    /// neither side has two probes.
    public func tolerance(against reference: SpeedProbe) -> Double {
        pooledSigma(with: reference).map { max(Self.minimumTolerance, 3 * $0) } ?? Self.defaultTolerance
    }

    /// How much a speed-bound figure may move between two sessions of one machine (log units): two pooled
    /// standard deviations of the probes, the band the machine's own speed wandered in, or the difference the
    /// probes measured between the sessions when that is larger (two A/A runs here probed 27% and 29% faster
    /// than their baseline's session and found every latency 15-29% lower). When that difference is beyond the
    /// tolerance it is a move of the machine, known only to within the probes' noise, so the noise is added to it.
    /// 0 when neither side has two probes and they agree within the default tolerance.
    public func driftAllowance(against reference: SpeedProbe) -> Double {
        let shift = abs(log(max(ratios(to: reference).deflate, 1e-9)))
        let moved = shift > tolerance(against: reference)
        guard let sigma = pooledSigma(with: reference) else { return moved ? shift + Self.defaultTolerance : 0 }
        return moved ? shift + 2 * sigma : max(2 * sigma, shift)
    }

    /// This probe relative to `reference` (above 1: this machine is faster), per figure.
    public func ratios(to reference: SpeedProbe) -> (deflate: Double, memcpy: Double) {
        (deflateMbPerS / max(reference.deflateMbPerS, 1e-9), memcpyGbPerS / max(reference.memcpyGbPerS, 1e-9))
    }
}
