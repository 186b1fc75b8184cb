import ArgumentParser
import Foundation
import Harness
import Reports

/// mailstorm: the load-test harness. Each subcommand only parses, wires and runs library code.
@main
struct Mailstorm: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mailstorm", abstract: "Load tests and benchmarks for the campaign platform.",
        subcommands: [Run.self, AB.self, HTTP.self, Report.self, Compare.self, BaselineCommand.self, HistoryCommand.self, StackCommand.self, SinkCommand.self, SeedCommand.self, Scenarios.self])
}

/// Exit codes CI can act on.
enum Exit {
    static let pass: Int32 = 0
    static let kpiFailure: Int32 = 1
    static let usage: Int32 = 2
    static let infrastructure: Int32 = 3
    static let interrupted: Int32 = 130

    /// Prints `message` to stderr and returns the exit code to throw.
    static func fail(_ message: String, _ code: Int32) -> ExitCode {
        FileHandle.standardError.write(Data("mailstorm: \(message)\n".utf8))
        return ExitCode(code)
    }

    /// Maps the library's errors to exit codes.
    static func map(_ error: Error) -> Error {
        switch error {
        case let e as UsageError: return fail(e.description, usage)
        case let e as ReportError: return fail(e.description, usage)  // a bad run folder, baseline or threshold
        case let e as StackError: return fail(e.description, infrastructure)
        case let e as ExitCode: return e
        default: return error
        }
    }
}
