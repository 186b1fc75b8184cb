import Foundation
import Harness

/// `mailstorm usl`: the Universal Scalability Law fitted to any (concurrency, throughput) measurements, such as a
/// capacity planner's production figures, with the same `USLFit` the capacity scenario uses.
public struct USLReport: Sendable {
    public var points: [(n: Double, x: Double)]
    public var fit: USLFit

    /// Reads CSV: two columns, concurrency then throughput, one measurement per line; a header line of
    /// non-numbers and `#` comments are skipped. Every other line must parse, or the error names it.
    public static func parse(csv text: String, name: String) throws(UsageError) -> [(n: Double, x: Double)] {
        var points: [(n: Double, x: Double)] = []
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let cells = line.split(whereSeparator: { $0 == "," || $0 == ";" || $0 == "\t" }).map { $0.trimmingCharacters(in: .whitespaces) }
            if points.isEmpty, cells.allSatisfy({ Double($0) == nil }) { continue }  // the header
            guard cells.count >= 2, let n = Double(cells[0]), let x = Double(cells[1]), n.isFinite, x.isFinite else {
                throw UsageError("\(name):\(i + 1): expected 'concurrency,throughput', got '\(line)'")
            }
            guard n >= 1, x >= 0 else { throw UsageError("\(name):\(i + 1): concurrency must be at least 1 and throughput at least 0, got '\(line)'") }
            points.append((n, x))
        }
        guard Set(points.map(\.n)).count >= 3 else {
            throw UsageError("\(name): the USL has three coefficients, so it needs measurements at three or more concurrencies (found \(Set(points.map(\.n)).count))")
        }
        return points
    }

    public init(points: [(n: Double, x: Double)], fit: USLFit) {
        self.points = points
        self.fit = fit
    }

    public init(points: [(n: Double, x: Double)]) throws(UsageError) {
        guard let fit = USLFit.fit(points) else { throw UsageError("no fit: measurements at three or more concurrencies are needed") }
        self.points = points
        self.fit = fit
    }

    /// The coefficients, the bounds and the throughput at `at`.
    public func render(at: [Double]) -> String {
        var out = String(format: "USL fit of %d measurements: X(N) = λN / (1 + σ(N−1) + κN(N−1))\n", points.count)
        out += Table.render(header: ["coefficient", "value", "meaning"], rows: [
            ["σ (sigma)", String(format: "%.6g", fit.sigma), "contention: the serial share"],
            ["κ (kappa)", String(format: "%.6g", fit.kappa), "coherency: crosstalk between units"],
            ["λ (lambda)", String(format: "%.6g", fit.lambda), "throughput of one unit of concurrency"],
            ["R²", String(format: "%.4f", fit.r2), "of the fit to the measurements"],
        ])
        if fit.peakConcurrency.isFinite {
            out += String(format: "peak: %.6g at concurrency %.4g (sqrt((1−σ)/κ))\n", fit.throughput(at: fit.peakConcurrency), fit.peakConcurrency)
        } else {
            out += "peak: none (κ = 0): throughput only levels off\n"
        }
        if fit.sigma > 0 { out += String(format: "limit: %.6g as concurrency grows without coherency cost (λ/σ, Amdahl)\n", fit.lambda / fit.sigma) }
        if !at.isEmpty {
            out += Table.render(header: ["concurrency", "throughput (fit)"], rows: at.map { [String(format: "%g", $0), String(format: "%.6g", fit.throughput(at: $0))] })
        }
        return out
    }

    /// The measurements and the fitted curve, to the larger of the last measurement and the peak (capped at 4×).
    public func chart(xLabel: String = "concurrency", yLabel: String = "throughput") -> SVGChart {
        SVGChart(fit.chart(id: "chart-usl", points: points, xLabel: xLabel, yLabel: yLabel))
    }

    public func html(title: String) -> String {
        "<!doctype html><html><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>\(XML.escape(title))</title><style>"
            + HTMLReport.css + "</style></head><body><h1>\(XML.escape(title))</h1>" + chart().render()
            + "<pre>\(XML.escape(render(at: [])))</pre></body></html>\n"
    }
}
