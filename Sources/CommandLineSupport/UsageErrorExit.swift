import ArgumentParser
import Foundation

extension AsyncParsableCommand {
    /// Parses and runs the command. A bad flag or value exits `usageStatus` (2 for both mailstorm and campaignd,
    /// as their READMEs say) with ArgumentParser's message naming it; ArgumentParser's own code would be 64.
    public static func mainExitingOnUsageErrors(usageStatus: Int32 = 2) async {
        do {
            var command = try parseAsRoot()
            if var async = command as? AsyncParsableCommand { try await async.run() } else { try command.run() }
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(usageStatus)
            }
            exit(withError: error)
        }
    }
}
