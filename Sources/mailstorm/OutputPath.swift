import Foundation
import Harness

/// Files a command will write, checked before the work they would hold.
enum OutputPath {
    /// Fails, naming `flag`, when the file at `path` could not be written (its folder is missing or read-only).
    static func checkWritable(_ path: String, flag: String) throws(UsageError) {
        let dir = URL(fileURLWithPath: path).deletingLastPathComponent().path
        guard FileManager.default.isWritableFile(atPath: dir) else { throw UsageError("\(flag): the folder \(dir) does not exist or is not writable") }
    }
}
