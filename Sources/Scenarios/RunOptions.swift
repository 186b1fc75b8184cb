import Foundation
import Harness
import Environment

/// Where and how to run a scenario.
public struct RunOptions: Sendable {
    public var profile: Profile = .smoke
    public var overrides = Overrides.none
    /// Target an existing deployment instead of starting the embedded stack.
    public var target: String?
    public var stack = StackOptions()
    public var threads = 1
    public var password = "mailstorm-pass"
    /// Repeats of the run, each on a fresh embedded stack; results merge exactly.
    public var trials = 1
    /// With a target: the mail sink's HTTP address, for the send scenario.
    public var sinkURL: String?
    /// --profile-server: Server-Timing stages per endpoint, and a perf profile of campaignd into `profileDirectory`.
    public var profileServer = false
    public var profileDirectory: String?
    /// Planned faults (`--fault`); none: the scenario's own (the chaos scenario's standard set).
    public var faults: [FaultSpec] = []
    /// `--segment i/n`: this process offers segment i of n of the load (`mailstorm merge` joins the parts).
    public var segment: ExecutionSegment = .whole
    /// `--start-at`: the load starts at this wall-clock time, so segments begin together without a coordinator.
    public var startAt: Date?
    public init() {}
}
