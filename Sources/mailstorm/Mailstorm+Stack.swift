import ArgumentParser
import Foundation
import Harness
import Environment
import Reports

extension Mailstorm {
    struct StackCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "stack", abstract: "Start or stop the embedded stack by hand.", subcommands: [Up.self, Down.self])

        /// Where a running `stack up` leaves its pid and endpoints for `stack down` and for people.
        static let stateFile = NSTemporaryDirectory() + "mailstorm-stack.json"

        struct State: Codable {
            var pid: Int32
            var endpoints: StackEndpoints
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
                try JSONEncoder().encode(state).write(to: URL(fileURLWithPath: StackCommand.stateFile))
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
                try? FileManager.default.removeItem(atPath: StackCommand.stateFile)
                _ = trap
                if let dead { throw ExitStatus.fail("\(dead) exited; stack torn down", ExitStatus.infrastructure) }
            }
        }

        struct Down: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Stop the stack that `stack up` started.")
            func run() throws {
                guard let data = FileManager.default.contents(atPath: StackCommand.stateFile),
                      let state = try? JSONDecoder().decode(State.self, from: data) else {
                    throw ExitStatus.fail("no running stack (no \(StackCommand.stateFile))", ExitStatus.usage)
                }
                guard kill(state.pid, SIGTERM) == 0 else {
                    try? FileManager.default.removeItem(atPath: StackCommand.stateFile)
                    throw ExitStatus.fail("stack process \(state.pid) is gone; removed stale state", ExitStatus.infrastructure)
                }
                let deadline = Date().addingTimeInterval(30)
                while kill(state.pid, 0) == 0 && Date() < deadline { usleep(100_000) }
                print("stack stopped")
            }
        }
    }
}
