import Foundation
#if canImport(Glibc)
import Glibc
#endif
import CSpawn
import Harness

/// A server process the harness started: its output goes to a log file, and it dies with the harness.
///
/// Children are spawned with posix_spawn through util-linux `setpriv --pdeathsig`, so the kernel signals them
/// if the harness dies, even by SIGKILL: no orphan outlives a run. SIGINT and SIGTERM are reset to their
/// defaults in the child (the harness ignores them while it handles them itself, and an ignored signal would
/// otherwise be inherited across exec). The harness reaps each child with waitpid, since this container's
/// PID 1 reaps nothing (shared/NOTES.md).
public final class ManagedProcess: @unchecked Sendable {
    public let name: String
    public let logPath: String
    public let pid: pid_t
    let stopSignal: Int32
    private let lock = NSLock()
    private var exitStatus: Int32?

    /// Starts `executable` with `arguments`; `asUser` drops root privileges first (PostgreSQL refuses root).
    public init(name: String, executable: String, arguments: [String], logPath: String, asUser: String? = nil,
                stopSignal: Int32 = SIGTERM) throws {
        self.name = name
        self.logPath = logPath
        self.stopSignal = stopSignal
        let fd = open(logPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StackError("\(name): cannot write log \(logPath): errno \(errno)") }
        defer { close(fd) }
        var prefix = ["--pdeathsig", stopSignal == SIGINT ? "INT" : "TERM"]
        if let user = asUser, geteuid() == 0 { prefix += ["--reuid=\(user)", "--regid=\(user)", "--init-groups"] }
        pid = try Self.spawn("/usr/bin/setpriv", prefix + ["--", executable] + arguments, output: fd)
    }

    /// Whether the process is still alive (reaps it if it has exited).
    public var isRunning: Bool { reap(block: false) == nil }

    /// The exit status once the process has ended.
    public var status: Int32? { reap(block: false) }

    /// The exit code once the process has ended, as a shell gives it: 128 + N when signal N ended it.
    public var exitCode: Int32? { status.map(Self.exitCode) }

    /// A waitpid status as a shell's exit code.
    static func exitCode(_ st: Int32) -> Int32 { (st & 0x7f) == 0 ? (st >> 8) & 0xff : 128 + (st & 0x7f) }

    /// The last lines of the log, for error messages.
    public func logTail(lines: Int = 15) -> String {
        let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }

    /// Returns once something listens on 127.0.0.1:`port`; if the process exits or `timeout` passes first, stops it
    /// and throws with the end of its log.
    public func waitListening(_ port: Int, timeout: Double = 10) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while !FreePort.isListening(port) {
            guard isRunning, Date() < deadline else {
                stop()
                throw StackError("\(name) did not listen on port \(port):\n\(logTail())")
            }
            usleep(20_000)
        }
    }

    /// Signals the process, waits up to `timeout` seconds, then kills it; always reaps it.
    public func stop(timeout: Double = 10) {
        guard isRunning else { return }
        kill(pid, stopSignal)
        let deadline = Date().addingTimeInterval(timeout)
        while isRunning && Date() < deadline { usleep(10_000) }
        if isRunning { kill(pid, SIGKILL) }
        _ = reap(block: true)
    }

    private func reap(block: Bool) -> Int32? {
        lock.lock(); defer { lock.unlock() }
        if let s = exitStatus { return s }
        var st: Int32 = 0
        let r = waitpid(pid, &st, block ? 0 : WNOHANG)
        if r == pid { exitStatus = st; return st }
        if r < 0 { exitStatus = -1; return -1 }  // ECHILD: already gone
        return nil
    }

    /// Runs a short command to completion and returns its exit status and combined output.
    @discardableResult
    public static func runToEnd(_ executable: String, _ arguments: [String], asUser: String? = nil) throws -> (status: Int32, output: String) {
        var args = arguments
        var exe = executable
        if let user = asUser, geteuid() == 0 {
            args = ["--reuid=\(user)", "--regid=\(user)", "--init-groups", "--", executable] + arguments
            exe = "/usr/bin/setpriv"
        }
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw StackError("pipe failed: errno \(errno)") }
        // Close-on-exec, so children spawned at the same time by other threads do not hold the pipe open.
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        let pid: pid_t
        do { pid = try spawn(exe, args, output: fds[1]) } catch { close(fds[0]); close(fds[1]); throw error }
        close(fds[1])
        var data = Data()
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(fds[0], &buf, buf.count)
            if n > 0 { data.append(contentsOf: buf[0..<n]) } else if n < 0 && errno == EINTR { continue } else { break }
        }
        close(fds[0])
        var st: Int32 = 0
        while waitpid(pid, &st, 0) < 0 && errno == EINTR {}
        return (exitCode(st), String(decoding: data, as: UTF8.self))
    }

    /// posix_spawn with stdin from /dev/null, stdout and stderr to `output`, default signal handling.
    ///
    /// The kernel delivers the parent-death signal when the *thread* that forked exits, not the process; pooled
    /// Dispatch and Swift-concurrency threads exit when idle, which killed servers mid-run. So every spawn
    /// happens on one thread that lives as long as the harness.
    static func spawn(_ exe: String, _ args: [String], output: Int32) throws -> pid_t {
        try SpawnThread.shared.run { try spawnHere(exe, args, output: output) }
    }

    private static func spawnHere(_ exe: String, _ args: [String], output: Int32) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, output, 1)
        posix_spawn_file_actions_adddup2(&actions, output, 2)
        // Nothing else crosses: NIO opens sockets without CLOEXEC, and a child holding a copy of the fault proxy's
        // upstream socket kept a killed campaignd's database session, and its row locks, alive until that child exited.
        posix_spawn_file_actions_addclosefrom_np(&actions, 3)
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for s in [SIGINT, SIGTERM, SIGPIPE, SIGCHLD] { sigaddset(&defaults, s) }
        posix_spawnattr_setsigdefault(&attr, &defaults)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attr, &empty)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        let argv: [UnsafeMutablePointer<CChar>?] = ([exe] + args).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, exe, &actions, &attr, argv, environ)
        guard rc == 0 else { throw StackError("cannot start \(exe): \(String(cString: strerror(rc)))") }
        return pid
    }
}

/// A thread that never exits, on which child processes are spawned (see `ManagedProcess.spawn`).
final class SpawnThread: @unchecked Sendable {
    static let shared = SpawnThread()
    private let condition = NSCondition()
    private var jobs: [() -> Void] = []

    private init() {
        let t = Thread { [self] in
            while true {
                condition.lock()
                while jobs.isEmpty { condition.wait() }
                let job = jobs.removeFirst()
                condition.unlock()
                job()
            }
        }
        t.name = "mailstorm-spawner"
        t.start()
    }

    /// Runs `body` on the spawn thread and waits for its result.
    func run<T>(_ body: @escaping () throws -> T) throws -> T {
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var result: Result<T, Error>?
        condition.lock()
        jobs.append {
            result = Result { try body() }
            done.signal()
        }
        condition.signal()
        condition.unlock()
        done.wait()
        return try result!.get()
    }
}
