import ArgumentParser
import Foundation
import Harness
import Environment
import Reports

extension Mailstorm {
    struct StackCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "stack", abstract: "Start or stop the embedded stack by hand.", subcommands: [Up.self, Down.self])

        /// Where a running `stack up` leaves its pid and endpoints for `stack down` and for people: a file of its
        /// own, since two may run at once and the second's end must not lose the first.
        static func stateFile(_ pid: Int32) -> String { NSTemporaryDirectory() + "mailstorm-up-\(pid).json" }

        struct State: Codable {
            var pid: Int32
            var endpoints: StackEndpoints
        }

        /// The stacks `stack up` runs now, newest first. A file whose process is gone (killed, or its pid now
        /// another program's) is removed.
        static func running() -> [State] {
            let dir = NSTemporaryDirectory()
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasPrefix("mailstorm-up-") && $0.hasSuffix(".json") }
            var live: [(State, Date)] = []
            for name in names {
                let path = dir + name
                guard let data = FileManager.default.contents(atPath: path), let state = try? JSONDecoder().decode(State.self, from: data),
                      let cmdline = FileManager.default.contents(atPath: "/proc/\(state.pid)/cmdline"),
                      String(decoding: cmdline, as: UTF8.self).contains("\0stack\0up") else {
                    try? FileManager.default.removeItem(atPath: path)
                    continue
                }
                let modified = (try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date) ?? .distantPast
                live.append((state, modified))
            }
            return live.sorted { $0.1 > $1.1 }.map(\.0)
        }

        struct Up: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Start PostgreSQL, Redis and campaignd; stay up until Ctrl-C or `stack down`.")
            @Option(help: "campaignd binary.") var campaignd: String?
            @Option(help: "Extra argument for campaignd; repeatable.") var campaigndArg: [String] = []
            // --keep-stack, as `run` names it; --keep still works.
            @Flag(name: [.customLong("keep-stack"), .customLong("keep")], help: "Keep the temporary directory (logs) after shutdown.") var keep = false
            @Option(help: "campaignd's transport to the mail sink: smtp or http.") var transport = MailTransportKind.smtp

            func run() async throws {
                let stopped = RunControl()
                let trap = SignalTrap { _ in stopped.interrupt() }
                let stack: Stack
                var options = StackOptions(campaignd: campaignd, campaigndArguments: campaigndArg, keepDirectory: keep)
                options.transport = transport
                do { stack = try Stack.up(options) } catch {
                    throw ExitStatus.map(error)
                }
                let state = State(pid: getpid(), endpoints: stack.endpoints)
                let stateFile = StackCommand.stateFile(state.pid)
                try JSONEncoder().encode(state).write(to: URL(fileURLWithPath: stateFile))
                // Unbuffered: whoever waits on this output (a script, a pipe) sees it at once.
                FileHandle.standardOutput.write(Data("""
                    campaignd  \(stack.endpoints.target)
                    postgres   \(stack.endpoints.databaseURL ?? "-")
                    redis      \(stack.endpoints.redisURL ?? "-")
                    sink       \(stack.sink.map { "\($0.smtpURL)  http://127.0.0.1:\($0.httpPort)/stats" } ?? "-")
                    logs       \(stack.directory)
                    Ctrl-C or `mailstorm stack down` stops it.

                    """.utf8))
                while !stopped.isInterrupted, stack.deadServer == nil { try await Task.sleep(for: .milliseconds(200)) }
                let dead = stack.deadServer
                stack.down()
                try? FileManager.default.removeItem(atPath: stateFile)
                _ = trap
                if let dead { throw ExitStatus.fail("\(dead) exited; stack torn down", ExitStatus.infrastructure) }
            }
        }

        struct Down: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Stop the stack that `stack up` started; of several, the newest.")
            func run() throws {
                let live = StackCommand.running()
                guard let state = live.first else {
                    throw ExitStatus.fail("no running stack: no live `stack up` left its \(NSTemporaryDirectory())mailstorm-up-PID.json", ExitStatus.usage)
                }
                guard kill(state.pid, SIGTERM) == 0 else {
                    throw ExitStatus.fail("stack process \(state.pid) could not be signalled: errno \(errno)", ExitStatus.infrastructure)
                }
                let deadline = Date().addingTimeInterval(30)
                // A `stack up` that exited but is not yet reaped (a zombie) is stopped.
                while ProcStat.isRunning(state.pid) && Date() < deadline { usleep(100_000) }
                print("stack stopped (pid \(state.pid), campaignd \(state.endpoints.target))"
                      + (live.count > 1 ? "; \(live.count - 1) more running: `stack down` again stops the newest" : ""))
            }
        }
    }
}
