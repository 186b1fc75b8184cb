import Harness
import Foundation

/// The import scenario's figures as text.
public enum ImportText {
    public static func render(_ i: ImportOutcome) -> String {
        var out = String(format: "import: %d of %d rows in %.2f s over %d requests: %.0f rows/s (%.2f s per 100K)\n",
                         i.imported, i.rows, i.durationS, i.requests, i.rowsPerS, i.secondsPerHundredThousand)
        for p in i.problems { out += "problem: \(p)\n" }
        return out
    }
}
