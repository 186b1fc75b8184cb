import ArgumentParser
import Foundation
import Harness
import Reports

extension Mailstorm {
    struct USL: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "usl",
            abstract: "Fit the Universal Scalability Law to (concurrency, throughput) measurements in a CSV file, print σ, κ, λ and the peak, and chart it.")
        @Argument(help: "CSV: concurrency,throughput per line (a header line is skipped); '-' reads stdin.") var file: String
        @Option(help: "Also print the fitted throughput at these concurrencies, comma-separated.") var at: String?
        @Option(help: "Write the chart as an HTML page here.") var html: String?

        func run() throws {
            do {
                if let html { try OutputPath.checkWritable(html, flag: "--html \(html)") }
                let text: String
                if file == "-" {
                    text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
                } else {
                    guard let t = try? String(contentsOfFile: file, encoding: .utf8) else { throw UsageError("cannot read '\(file)'") }
                    text = t
                }
                let levels = try (at ?? "").split(separator: ",").map { part -> Double in
                    guard let v = Double(part.trimmingCharacters(in: .whitespaces)), v >= 1 else { throw UsageError("--at: '\(part)' is not a concurrency of 1 or more") }
                    return v
                }
                let report = try USLReport(points: try USLReport.parse(csv: text, name: file))
                print(report.render(at: levels), terminator: "")
                if let html {
                    try report.html(title: "USL: \(file)").write(toFile: html, atomically: true, encoding: .utf8)
                    print("chart: \(html)")
                }
            } catch { throw ExitStatus.map(error) }
        }
    }
}
