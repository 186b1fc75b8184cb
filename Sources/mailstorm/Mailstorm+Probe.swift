import ArgumentParser
import Foundation
import Harness
import Environment
import Reports

extension Mailstorm {
    struct Probe: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Measure this machine's speed probe (what baselines record to tell machines apart), optionally against a baseline's.")
        @Option(help: "Probes to take, one after another.") var count = 1
        @Option(help: "A baseline whose probe to compare with.") var baseline: String?

        func run() throws {
            do {
                guard (1...100).contains(count) else { throw UsageError("--count must be 1 to 100") }
                let reference = try baseline.map { try Baseline.load($0) }
                for _ in 0..<count {
                    let p = SpeedProbe.measure()
                    var line = String(format: "deflate %.1f MB/s  memcpy %.2f GB/s", p.deflateMbPerS, p.memcpyGbPerS)
                    if let r = reference {
                        let check = MachineCheck(baseline: (r.fingerprint, r.machineSpeed), current: (Machine.current.fingerprint, p), allowed: false)
                        line += check.sameMachine ? "  same machine as the baseline" : "  " + (check.note ?? "another machine")
                    }
                    print(line)
                }
            } catch { throw ExitStatus.map(error) }
        }
    }
}
