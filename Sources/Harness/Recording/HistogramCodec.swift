import CZlib
import Foundation
import Histogram

/// HdrHistogram's V2 encoding, the one the Java, C and Python libraries read and write
/// (hdrhistogram-swift 0.2.0 has none). Used for interval logs and compact baselines.
///
/// Layout (big-endian): cookie 0x1c849313, payload length, normalizing index offset (0), significant digits,
/// lowest discernible value, highest trackable value, integer-to-double ratio (1.0), then the counts array
/// as ZigZag LEB128 words where a negative word -n stands for n zero counts. The compressed form is
/// cookie 0x1c849314, the length of the zlib stream, and the zlib-deflated encoding above.
public enum HistogramCodec {
    static let cookie: UInt32 = 0x1c84_9303 | 0x10
    static let compressedCookie: UInt32 = 0x1c84_9304 | 0x10

    /// The uncompressed V2 encoding.
    public static func encode(_ h: LatencyHistogram) -> [UInt8] {
        let layout = Layout(h)
        var payload: [UInt8] = []
        // Only the recorded buckets are visited (the library's inlinable iterator, specialized here); the gaps
        // between them become zero runs, and nothing is written past the last.
        var next = 0
        for v in h.recordedValues() {
            let i = layout.index(of: v.value)
            if i > next { putZigZag(-Int64(i - next), into: &payload) }
            putZigZag(Int64(v.count), into: &payload)
            next = i + 1
        }
        var out: [UInt8] = []
        out.reserveCapacity(40 + payload.count)
        put32(cookie, &out)
        put32(UInt32(payload.count), &out)
        put32(0, &out)
        put32(UInt32(h.numberOfSignificantValueDigits.rawValue), &out)
        put64(h.lowestDiscernibleValue, &out)
        put64(h.highestTrackableValue, &out)
        put64((1.0).bitPattern, &out)
        return out + payload
    }

    /// The compressed V2 encoding.
    public static func encodeCompressed(_ h: LatencyHistogram) -> [UInt8] {
        let raw = encode(h)
        var destLen = compressBound(uLong(raw.count))
        var dest = [UInt8](repeating: 0, count: Int(destLen))
        let rc = compress2(&dest, &destLen, raw, uLong(raw.count), Z_DEFAULT_COMPRESSION)
        precondition(rc == Z_OK, "zlib compress2 failed: \(rc)")
        var out: [UInt8] = []
        put32(compressedCookie, &out)
        put32(UInt32(destLen), &out)
        return out + dest[0..<Int(destLen)]
    }

    /// Base64 of the compressed encoding: the form interval logs and baselines store.
    public static func base64(_ h: LatencyHistogram) -> String { Data(encodeCompressed(h)).base64EncodedString() }

    /// Decodes either form (or its base64); throws on anything malformed.
    public static func decode(base64 text: String) throws -> LatencyHistogram {
        guard let d = Data(base64Encoded: text) else { throw CodecError("not base64") }
        return try decode([UInt8](d))
    }

    public static func decode(_ bytes: [UInt8]) throws -> LatencyHistogram {
        guard bytes.count >= 8 else { throw CodecError("too short") }
        let c = get32(bytes, 0)
        if c == compressedCookie {
            let len = Int(get32(bytes, 4))
            guard bytes.count >= 8 + len else { throw CodecError("truncated compressed histogram") }
            return try decode(inflate(Array(bytes[8..<8 + len])))
        }
        guard c == cookie, bytes.count >= 40 else { throw CodecError(String(format: "unknown cookie 0x%08x", c)) }
        let payloadLength = Int(get32(bytes, 4))
        guard get32(bytes, 8) == 0 else { throw CodecError("normalizing index offset is not supported") }
        guard let digits = SignificantDigits(rawValue: Int8(get32(bytes, 12))) else { throw CodecError("bad significant digits") }
        let lowest = get64(bytes, 16), highest = get64(bytes, 24)
        guard bytes.count >= 40 + payloadLength, lowest >= 1, lowest <= highest / 2 else { throw CodecError("bad header") }
        var h = LatencyHistogram(lowestDiscernibleValue: lowest, highestTrackableValue: highest, numberOfSignificantValueDigits: digits)
        let layout = Layout(h)
        var pos = 40, index = 0
        let end = 40 + payloadLength
        while pos < end {
            let v = try getZigZag(bytes, &pos, end)
            // A run of zero counts; a crafted file must get an error, not a trap on -Int64.min or a runaway index.
            if v < 0 {
                guard v >= -Int64(maxIndex), index - Int(v) <= maxIndex else { throw CodecError("zero run \(v) at index \(index) is out of range") }
                index -= Int(v)
                continue
            }
            guard index <= maxIndex else { throw CodecError("count index \(index) out of range") }
            let value = layout.value(atIndex: index)
            // The counts array reaches past `highest` to its power-of-two bucket boundary, and the library records
            // up to there: accept what it accepts.
            guard h.record(value, count: UInt64(v)) else { throw CodecError("count index \(index) out of range") }
            index += 1
        }
        return h
    }

    /// Far past any counts array a latency histogram has (64-bit values at 5 digits need about 4 million).
    static let maxIndex = 1 << 24

    /// The index arithmetic of HdrHistogram's counts array.
    struct Layout {
        let unitMagnitude: Int
        let subBucketHalfCountMagnitude: Int
        let subBucketHalfCount: Int
        let subBucketMask: UInt64
        let leadingZeroCountBase: Int

        init(_ h: LatencyHistogram) {
            let largestSingleUnit = 2 * UInt64(pow(10, Double(h.numberOfSignificantValueDigits.rawValue)))
            let subBucketCountMagnitude = Int(ceil(log2(Double(largestSingleUnit))))
            subBucketHalfCountMagnitude = max(subBucketCountMagnitude, 1) - 1
            unitMagnitude = 63 - h.lowestDiscernibleValue.leadingZeroBitCount
            subBucketHalfCount = 1 << subBucketHalfCountMagnitude
            subBucketMask = (UInt64(1 << subBucketCountMagnitude) - 1) << unitMagnitude
            leadingZeroCountBase = 64 - unitMagnitude - subBucketHalfCountMagnitude - 1
        }

        func index(of value: UInt64) -> Int {
            let bucket = leadingZeroCountBase - (value | subBucketMask).leadingZeroBitCount
            let sub = Int(value >> UInt64(bucket + unitMagnitude))
            return ((bucket + 1) << subBucketHalfCountMagnitude) + (sub - subBucketHalfCount)
        }

        func value(atIndex i: Int) -> UInt64 {
            var bucket = (i >> subBucketHalfCountMagnitude) - 1
            var sub = (i & (subBucketHalfCount - 1)) + subBucketHalfCount
            if bucket < 0 { sub -= subBucketHalfCount; bucket = 0 }
            return UInt64(sub) << UInt64(bucket + unitMagnitude)
        }
    }

    static func putZigZag(_ v: Int64, into out: inout [UInt8]) {
        var z = UInt64(bitPattern: (v << 1) ^ (v >> 63))
        for _ in 0..<8 {
            if z < 0x80 { out.append(UInt8(z)); return }
            out.append(UInt8(z & 0x7f) | 0x80)
            z >>= 7
        }
        out.append(UInt8(truncatingIfNeeded: z))  // the ninth byte carries all 8 remaining bits
    }

    static func getZigZag(_ b: [UInt8], _ pos: inout Int, _ end: Int) throws -> Int64 {
        var z: UInt64 = 0
        var shift: UInt64 = 0
        for k in 0..<9 {
            guard pos < end else { throw CodecError("truncated word") }
            let byte = b[pos]
            pos += 1
            if k == 8 { z |= UInt64(byte) << 56; break }
            z |= UInt64(byte & 0x7f) << shift
            if byte & 0x80 == 0 { break }
            shift += 7
        }
        return Int64(bitPattern: (z >> 1) ^ (0 &- (z & 1)))
    }

    static func inflate(_ src: [UInt8]) throws -> [UInt8] {
        var cap = max(src.count * 8, 4096)
        while cap < 1 << 28 {
            var dest = [UInt8](repeating: 0, count: cap)
            var len = uLong(cap)
            let rc = uncompress(&dest, &len, src, uLong(src.count))
            if rc == Z_OK { return Array(dest[0..<Int(len)]) }
            guard rc == Z_BUF_ERROR else { throw CodecError("zlib inflate failed: \(rc)") }
            cap *= 4
        }
        throw CodecError("histogram too large")
    }

    static func put32(_ v: UInt32, _ out: inout [UInt8]) { withUnsafeBytes(of: v.bigEndian) { out.append(contentsOf: $0) } }
    static func put64(_ v: UInt64, _ out: inout [UInt8]) { withUnsafeBytes(of: v.bigEndian) { out.append(contentsOf: $0) } }
    static func get32(_ b: [UInt8], _ at: Int) -> UInt32 { b[at..<at + 4].reduce(0) { $0 << 8 | UInt32($1) } }
    static func get64(_ b: [UInt8], _ at: Int) -> UInt64 { b[at..<at + 8].reduce(0) { $0 << 8 | UInt64($1) } }
}

/// A histogram encoding could not be read.
public struct CodecError: Error, CustomStringConvertible, Sendable {
    public var description: String
    init(_ d: String) { description = d }
}
