/// The life of one keep-alive connection, apart from its socket: connecting with a request waiting for it,
/// idle, busy with one request (as wrk, one at a time), or closed. Each event returns what the engine must do
/// (write, reuse, or record the request it carried as failed), so the rules are tested without sockets.
struct ConnectionStateMachine {
    enum State {
        case connecting(InFlightRequest)
        case idle
        case busy(InFlightRequest)
        case closed
    }

    private(set) var state: State

    init(connectingFor request: InFlightRequest) { state = .connecting(request) }

    enum ConnectedAction {
        case write(InFlightRequest)
        case close
    }

    /// The socket connected. Closed meanwhile (the run ended, an error came first): close it.
    mutating func connected() -> ConnectedAction {
        guard case .connecting(let request) = state else { return .close }
        return .write(request)
    }

    /// A request goes out on an idle connection, or the one it was opened for.
    mutating func write(_ request: InFlightRequest) {
        switch state {
        case .idle, .connecting: state = .busy(request)
        case .busy, .closed: assertionFailure("write on a \(state) connection")
        }
    }

    /// A whole response arrived: the request it answers, and whether the connection is kept for another. A
    /// response with nothing in flight (after a timeout failed the request) is ignored.
    mutating func responseReceived(keepAlive: Bool, runFinished: Bool) -> (request: InFlightRequest, reuse: Bool)? {
        guard case .busy(let request) = state else { return nil }
        let reuse = keepAlive && !runFinished
        state = reuse ? .idle : .closed
        return (request, reuse)
    }

    /// Closes the connection, whatever the cause (the peer, an error, a timeout, the run's end); returns the
    /// request it carried, which failed, if any. The caller names the failure: reset, timeout, refused.
    mutating func close() -> InFlightRequest? {
        defer { state = .closed }
        switch state {
        case .connecting(let request), .busy(let request): return request
        case .idle, .closed: return nil
        }
    }

    /// Busy with a request written more than `limit` ns before `now` (a request still connecting is bounded by
    /// the connect timeout instead).
    func overdue(now: UInt64, limit: UInt64) -> Bool {
        guard case .busy(let request) = state, request.sentNanos > 0 else { return false }
        return now &- request.sentNanos > limit
    }

    var isClosed: Bool { if case .closed = state { true } else { false } }
}
