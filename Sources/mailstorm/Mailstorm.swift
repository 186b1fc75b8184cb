import ArgumentParser
import CommandLineSupport
import Foundation
import Harness
import Reports

/// mailstorm: the load-test harness. Each subcommand only parses, wires and runs library code.
@main
struct Mailstorm: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mailstorm", abstract: "Load tests and benchmarks for the campaign platform.",
        version: BuildInfo.version,
        subcommands: [Run.self, Merge.self, AB.self, Calibrate.self, Probe.self, HTTP.self, Report.self, Compare.self, BaselineCommand.self, HistoryCommand.self, USL.self,
                      StackCommand.self, SinkCommand.self, SeedCommand.self, Scenarios.self])

    static func main() async { await mainExitingOnUsageErrors(usageStatus: ExitStatus.usage) }
}

/// The version, and the git commit of the checkout the binary was built in.
enum BuildInfo {
    static let number = "0.4.0"
    static let version: String = {
        // .build/<config>/mailstorm sits inside the checkout; its HEAD is the commit (a later checkout there would show).
        let exe = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0])
        let sha = GitInfo.sha(directory: exe.deletingLastPathComponent().path)
        return "mailstorm \(number) (git \(sha))"
    }()
}

