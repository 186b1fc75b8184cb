import ArgumentParser
import Foundation
import Harness
import Reports

/// The shell's side of the exit codes: print why, then exit with the code `ExitStatus.classify` gives the error.
extension ExitStatus {
    /// Prints `message` to stderr and returns the exit code to throw.
    static func fail(_ message: String, _ code: Int32) -> ExitCode {
        FileHandle.standardError.write(Data("mailstorm: \(message)\n".utf8))
        return ExitCode(code)
    }

    static func map(_ error: any Error) -> any Error {
        if let e = error as? ExitCode { return e }
        return classify(error).map { fail($0.message, $0.code) } ?? error
    }
}
