import Foundation
import Harness

/// The machine a run was measured on: compared runs should share this fingerprint.
/// (Keys are camelCase here; summary.json's encoder writes them in snake_case.)
public struct Machine: Sendable, Codable, Equatable {
    public var cores: Int
    public var cpuModel: String
    public var memoryBytes: UInt64
    public var os: String
    public var hostname: String

    public static let current: Machine = {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
            .map { $0.split(separator: ":", maxSplits: 1).last!.trimmingCharacters(in: .whitespaces) } ?? "unknown"
        let os = ((try? String(contentsOfFile: "/etc/os-release", encoding: .utf8)) ?? "").split(separator: "\n")
            .first { $0.hasPrefix("PRETTY_NAME=") }.map { String($0.dropFirst(12)).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) } ?? "Linux"
        return Machine(cores: ProcessInfo.processInfo.activeProcessorCount, cpuModel: model,
                       memoryBytes: ProcessInfo.processInfo.physicalMemory, os: os, hostname: ProcessInfo.processInfo.hostName)
    }()

    /// What must match for two runs to be comparable (not the hostname: CI machines come and go).
    public var fingerprint: String { "\(cores)x \(cpuModel), \(memoryBytes / 1_073_741_824) GiB" }
}
