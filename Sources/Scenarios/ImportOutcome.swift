import Foundation
import Harness

/// What a bulk import measured.
public struct ImportOutcome: ScenarioResult, Equatable {
    public static let key = "import"
    public static let title = "Import"

    public var rows: Int
    public var imported: Int
    public var requests: Int
    public var durationS: Double
    public var rowsPerS: Double
    /// Seconds per 100,000 rows at the measured rate (seed 004 states import times per 100K leads).
    public var secondsPerHundredThousand: Double
    public var problems: [String]

    public init(rows: Int, imported: Int, requests: Int, durationS: Double) {
        self.rows = rows
        self.imported = imported
        self.requests = requests
        self.durationS = durationS
        rowsPerS = durationS > 0 ? Double(imported) / durationS : 0
        secondsPerHundredThousand = rowsPerS > 0 ? 100_000 / rowsPerS : 0
        problems = imported == rows ? [] : ["\(imported) of \(rows) rows imported"]
    }

    public func render() -> String {
        var out = String(format: "import: %d of %d rows in %.2f s over %d requests: %.0f rows/s (%.2f s per 100K)\n",
                         imported, rows, durationS, requests, rowsPerS, secondsPerHundredThousand)
        for p in problems { out += "problem: \(p)\n" }
        return out
    }

    public var headline: String { String(format: "%.0f rows/s (%.2f s per 100K)", rowsPerS, secondsPerHundredThousand) }

    /// rows/s is compared; its inverse, per 100K as seed 004 states it, is for the KPI only. Nothing imported: infinitely slow.
    public var figures: [String: ScenarioFigure] {
        ["rows_per_s": ScenarioFigure(rowsPerS, higherIsBetter: true),
         "import_seconds_per_100k": ScenarioFigure(rowsPerS > 0 ? secondsPerHundredThousand : .infinity, higherIsBetter: false, compared: false)]
    }

    public var measured: Bool { imported > 0 }
}
