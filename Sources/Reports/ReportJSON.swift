import Foundation

/// The JSON conventions of every file Reports writes and reads (summary, baseline, run.json, comparison):
/// snake_case keys, sorted pretty output, and NaN/infinity as strings (an unmeasured figure is NaN, an
/// impossible rate infinite, and JSON has no numbers for them).
enum ReportJSON {
    static var encoder: JSONEncoder {
        let e = JSONEncoder()
        e.keyEncodingStrategy = .convertToSnakeCase
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        return e
    }

    static var decoder: JSONDecoder {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        d.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return d
    }
}
