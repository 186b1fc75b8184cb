import Foundation

/// Prometheus remote-write 1.0 on the wire: a `prometheus.WriteRequest` protobuf, snappy block-compressed.
/// Both are written by hand: the message has four small types, and a snappy block made of literals only is
/// valid snappy (any decoder reads it), so no compressor is needed for a few kilobytes a second.
public enum RemoteWrite {
    public struct Series: Sendable, Equatable {
        /// Label pairs, `__name__` among them; written sorted by name, as the protocol requires.
        public var labels: [(String, String)]
        public var value: Double
        public var timestampMs: Int64

        public init(name: String, labels: [(String, String)], value: Double, timestampMs: Int64) {
            self.labels = ([("__name__", name)] + labels).sorted { $0.0 < $1.0 }
            self.value = value
            self.timestampMs = timestampMs
        }

        public static func == (a: Series, b: Series) -> Bool {
            a.labels.elementsEqual(b.labels) { $0 == $1 } && a.value == b.value && a.timestampMs == b.timestampMs
        }
    }

    /// WriteRequest { repeated TimeSeries timeseries = 1 }; TimeSeries { repeated Label labels = 1; repeated
    /// Sample samples = 2 }; Label { string name = 1; string value = 2 }; Sample { double value = 1; int64 timestamp = 2 }.
    public static func protobuf(_ series: [Series]) -> [UInt8] {
        var out: [UInt8] = []
        for s in series {
            var ts: [UInt8] = []
            for (n, v) in s.labels {
                var label: [UInt8] = []
                bytes(1, Array(n.utf8), into: &label)
                bytes(2, Array(v.utf8), into: &label)
                bytes(1, label, into: &ts)
            }
            var sample: [UInt8] = [0x09]  // field 1, 64-bit
            withUnsafeBytes(of: s.value.bitPattern.littleEndian) { sample += $0 }
            sample.append(0x10)  // field 2, varint
            varint(UInt64(bitPattern: s.timestampMs), into: &sample)
            bytes(2, sample, into: &ts)
            bytes(1, ts, into: &out)
        }
        return out
    }

    /// A snappy block: the uncompressed length as a varint, then the data as literals of at most 64 KiB each.
    public static func snappy(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        varint(UInt64(data.count), into: &out)
        var i = 0
        while i < data.count {
            let n = min(65_536, data.count - i)
            if n <= 60 {
                out.append(UInt8(n - 1) << 2)
            } else if n <= 256 {
                out += [60 << 2, UInt8(n - 1)]
            } else {
                out += [61 << 2, UInt8((n - 1) & 0xFF), UInt8((n - 1) >> 8)]
            }
            out += data[i..<(i + n)]
            i += n
        }
        return out
    }

    static func varint(_ v: UInt64, into out: inout [UInt8]) {
        var v = v
        while v >= 0x80 { out.append(UInt8(v & 0x7F) | 0x80); v >>= 7 }
        out.append(UInt8(v))
    }

    static func bytes(_ field: UInt64, _ payload: [UInt8], into out: inout [UInt8]) {
        varint(field << 3 | 2, into: &out)
        varint(UInt64(payload.count), into: &out)
        out += payload
    }
}
