import Harness
/// One planned fault, as a user writes it: `component:action[=value]@start[+duration]`.
///
/// `postgres:restart@20s+3s` stops PostgreSQL at 20 s and starts it again, on the same port with the same data,
/// 3 s later; `sink:latency=200ms@10s+10s` slows the mail sink for 10 s; `postgres-net:latency=50ms@5s+20s`
/// delays every packet between campaignd and PostgreSQL.
public struct FaultSpec: Sendable, Equatable, CustomStringConvertible {
    public enum Component: String, Sendable, CaseIterable {
        case postgres, redis, campaignd, sink
        /// The network between campaignd and PostgreSQL or Redis (the harness's fault proxy).
        case postgresNet = "postgres-net", redisNet = "redis-net"
    }

    public enum Action: Sendable, Equatable {
        /// SIGKILL; back after the duration (at once without one).
        case kill
        /// A clean stop (PostgreSQL's fast shutdown, SIGTERM); back after the duration (at once without one).
        case restart
        /// campaignd's SIGTERM: it drains, exits, and is started again after the duration.
        case term
        /// The sink refuses everything (SMTP 421, HTTP 503) for the duration.
        case outage
        /// Every reply (sink) or packet (network) is held this many milliseconds longer, for the duration.
        case latency(ms: Double)
        /// The network swallows everything, in both directions, for the duration.
        case drop
        /// The network loses this share of packets (0 to 1), each way, for the duration: TCP sends each lost one
        /// again after its retransmission timeout, so what the application sees is that delay.
        case loss(rate: Double)
        /// The network resets every open connection, once.
        case reset

        var name: String {
            switch self {
            case .kill: "kill"
            case .restart: "restart"
            case .term: "term"
            case .outage: "outage"
            case .latency: "latency"
            case .drop: "drop"
            case .loss: "loss"
            case .reset: "reset"
            }
        }
    }

    public var component: Component
    public var action: Action
    /// Seconds after the load starts.
    public var start: Double
    /// Seconds the fault lasts; nil for the instantaneous ones (kill, term or restart with an immediate return, reset).
    public var duration: Double?

    public init(component: Component, action: Action, start: Double, duration: Double? = nil) {
        self.component = component
        self.action = action
        self.start = start
        self.duration = duration
    }

    /// When the component is back (or the network clean again).
    public var end: Double { start + (duration ?? 0) }

    /// Whether the fault can end a sender's transaction after its batch left but before it committed, so that
    /// the batch is claimed and sent again: campaignd killed, or its database connections cut under it. A
    /// SIGTERM lets each batch commit, and Redis or the sink holds no claim.
    public var maySendTwice: Bool {
        switch (component, action) {
        case (.campaignd, .kill), (.postgres, .kill), (.postgres, .restart), (.postgresNet, .reset): true
        default: false
        }
    }

    /// Actions each component takes, and whether they need a duration.
    static func allowed(_ c: Component) -> [String] {
        switch c {
        case .postgres, .redis: ["kill", "restart"]
        case .campaignd: ["kill", "term"]
        case .sink: ["outage", "latency"]
        case .postgresNet, .redisNet: ["latency", "loss", "drop", "reset"]
        }
    }

    /// Parses one fault; the error quotes it and says what would be accepted.
    public init(parsing text: String) throws(FaultSpecError) {
        func fail(_ why: String) -> FaultSpecError { FaultSpecError("fault '\(text)': \(why)") }
        guard let colon = text.firstIndex(of: ":"), let at = text.lastIndex(of: "@"), colon < at else {
            throw fail("expected component:action@start[+duration], e.g. postgres:restart@20s+3s")
        }
        let name = String(text[..<colon])
        guard let component = Component(rawValue: name) else {
            throw fail("unknown component '\(name)' (\(Component.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        let actionText = text[text.index(after: colon)..<at]
        let (actionName, value) = actionText.split(separator: "=", maxSplits: 1).map(String.init).splitPair
        guard Self.allowed(component).contains(actionName) else {
            throw fail("\(component.rawValue) cannot '\(actionName)' (\(Self.allowed(component).joined(separator: ", ")))")
        }
        let timing = text[text.index(after: at)...].split(separator: "+", maxSplits: 1).map(String.init)
        guard let start = timing.first.flatMap(Self.seconds), start >= 0 else { throw fail("start '\(timing.first ?? "")' is not a time such as 20s") }
        var duration: Double? = nil
        if timing.count == 2 {
            guard let d = DurationText.seconds(timing[1]) else { throw fail("duration '\(timing[1])' is not a positive time such as 3s") }
            duration = d
        }
        let action: Action
        switch actionName {
        case "kill": action = .kill
        case "restart": action = .restart
        case "term": action = .term
        case "outage": action = .outage
        case "drop": action = .drop
        case "reset": action = .reset
        case "loss":
            guard let v = value, v.hasSuffix("%"), let pct = Double(v.dropLast()), pct > 0, pct < 100 else {
                throw fail("loss needs a share of packets above 0% and below 100%, e.g. loss=5%")
            }
            action = .loss(rate: pct / 100)
        default:
            guard let v = value, let ms = DurationText.seconds(v).map({ $0 * 1000 }) else {
                throw fail("latency needs a value, e.g. latency=50ms")
            }
            action = .latency(ms: ms)
        }
        if value != nil, actionName != "latency", actionName != "loss" { throw fail("\(actionName) takes no value") }
        switch action {
        case .outage, .latency, .drop, .loss:
            guard duration != nil else { throw fail("\(actionName) needs a duration, e.g. @10s+5s") }
        case .reset:
            guard duration == nil else { throw fail("reset is instantaneous and takes no duration") }
        case .kill, .restart, .term: break
        }
        self.init(component: component, action: action, start: start, duration: duration)
    }

    /// "0" is a valid start, which DurationText (positive durations) refuses.
    static func seconds(_ text: String) -> Double? { text == "0" || text == "0s" ? 0 : DurationText.seconds(text) }

    public var description: String {
        var s = "\(component.rawValue):\(action.name)"
        if case .latency(let ms) = action { s += "=\(Self.format(ms))ms" }
        if case .loss(let rate) = action { s += "=\(Self.format(rate * 100))%" }
        s += "@\(Self.format(start))s"
        if let duration { s += "+\(Self.format(duration))s" }
        return s
    }

    static func format(_ v: Double) -> String { v == v.rounded() ? String(Int(v)) : String(v) }
}

/// A fault that cannot be planned; the message names it.
public struct FaultSpecError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ d: String) { description = d }
}

private extension Array where Element == String {
    /// ("latency", "50ms") from ["latency", "50ms"]; ("kill", nil) from ["kill"].
    var splitPair: (String, String?) { (first ?? "", count > 1 ? self[1] : nil) }
}
