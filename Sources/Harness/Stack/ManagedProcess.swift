import Foundation

/// A server process the harness started: its output goes to a log file, and it dies with the harness.
///
/// Every child is launched through util-linux `setpriv --pdeathsig`, so the kernel signals it if the harness
/// dies, even by SIGKILL: no orphan outlives a run. The harness waits for each child, since this container's
/// PID 1 reaps nothing (shared/NOTES.md).
public final class ManagedProcess: @unchecked Sendable {
    public let name: String
    public let logPath: String
    let process: Process
    let stopSignal: Int32

    /// Starts `executable` with `arguments`; `asUser` drops root privileges first (PostgreSQL refuses root).
    public init(name: String, executable: String, arguments: [String], logPath: String, asUser: String? = nil,
                stopSignal: Int32 = SIGTERM, environment: [String: String]? = nil) throws {
        self.name = name
        self.logPath = logPath
        self.stopSignal = stopSignal
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        guard let log = FileHandle(forWritingAtPath: logPath) else { throw StackError("\(name): cannot write log \(logPath)") }
        let p = Process()
        var prefix = ["--pdeathsig", stopSignal == SIGINT ? "INT" : "TERM"]
        if let user = asUser, geteuid() == 0 { prefix += ["--reuid=\(user)", "--regid=\(user)", "--init-groups"] }
        p.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        p.arguments = prefix + ["--", executable] + arguments
        p.standardOutput = log
        p.standardError = log
        p.standardInput = FileHandle.nullDevice
        if let environment { p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        do { try p.run() } catch { throw StackError("\(name): cannot start \(executable): \(error)") }
        process = p
    }

    public var pid: Int32 { process.processIdentifier }
    public var isRunning: Bool { process.isRunning }

    /// The last lines of the log, for error messages.
    public func logTail(lines: Int = 15) -> String {
        let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }

    /// Signals the process, waits up to `timeout` seconds, then kills it; always reaps it.
    public func stop(timeout: Double = 10) {
        guard process.isRunning else { process.waitUntilExit(); return }
        kill(process.processIdentifier, stopSignal)
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// Runs a short command to completion and returns its exit status and output.
    @discardableResult
    public static func runToEnd(_ executable: String, _ arguments: [String], asUser: String? = nil) throws -> (status: Int32, output: String) {
        let p = Process()
        var args = arguments
        var exe = executable
        if let user = asUser, geteuid() == 0 {
            args = ["--reuid=\(user)", "--regid=\(user)", "--init-groups", "--", executable] + arguments
            exe = "/usr/bin/setpriv"
        }
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = args
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        p.standardInput = FileHandle.nullDevice
        do { try p.run() } catch { throw StackError("cannot run \(executable): \(error)") }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
