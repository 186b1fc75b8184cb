import Foundation

/// The elements of a top-level JSON array, one at a time, as byte ranges of the body: an import of up to 64 MiB
/// is never held as one object graph (several times its size), and the row limit applies as elements are
/// counted, before the rest is parsed. Only the array's own structure is read here; each element is parsed, and
/// its syntax checked, by JSONSerialization on its own.
enum JSONArrayReader {
    enum Failure: Error, Equatable {
        case notAnArray
        case malformed(element: Int)
    }

    /// Calls `body` with each element's range and index; `body` returns false to stop early.
    static func forEachElement(_ data: Data, _ body: (Range<Int>, Int) throws(ImportError) -> Bool) throws(ImportError) {
        // withUnsafeBytes rethrows untyped errors: the body's error is carried out of it by hand.
        var thrown: ImportError?
        let failure: Failure? = data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> Failure? in
            let b = raw.bindMemory(to: UInt8.self)
            let n = b.count
            var i = 0
            func isSpace(_ c: UInt8) -> Bool { c == 32 || c == 9 || c == 10 || c == 13 }
            func skipSpace() { while i < n && isSpace(b[i]) { i += 1 } }
            if n >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF { i = 3 }
            skipSpace()
            guard i < n, b[i] == UInt8(ascii: "[") else { return .notAnArray }
            i += 1
            skipSpace()
            var index = 0
            if i < n && b[i] == UInt8(ascii: "]") {
                i += 1
            } else {
                while true {
                    let start = i
                    var depth = 0, inString = false, closed = false
                    scan: while i < n {
                        let c = b[i]
                        if inString {
                            if c == UInt8(ascii: "\\") { i += 2; continue }
                            if c == UInt8(ascii: "\"") { inString = false }
                        } else {
                            switch c {
                            case UInt8(ascii: "\""): inString = true
                            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                                if depth == 0 { closed = c == UInt8(ascii: "]"); if !closed { return .malformed(element: index) }; break scan }
                                depth -= 1
                            case UInt8(ascii: ","): if depth == 0 { break scan }
                            default: break
                            }
                        }
                        i += 1
                    }
                    guard i < n else { return .malformed(element: index) }  // the array never closed
                    var end = i
                    while end > start && isSpace(b[end - 1]) { end -= 1 }
                    guard end > start else { return .malformed(element: index) }
                    do throws(ImportError) {
                        guard try body(start..<end, index) else { return nil }
                    } catch {
                        thrown = error
                        return nil
                    }
                    index += 1
                    i += 1  // past ',' or ']'
                    if closed { break }
                    skipSpace()
                }
            }
            skipSpace()
            return i == n ? nil : .malformed(element: index)
        }
        if let thrown { throw thrown }
        switch failure {
        case nil: return
        case .notAnArray: throw ImportError(field: nil, "body must be a JSON array of contacts")
        case .malformed(let element): throw ImportError(index: element, field: nil, "body is not valid JSON")
        }
    }
}
