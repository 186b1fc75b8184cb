/// Whether the engine's loop may leave responses unread until its next tick (`EngineLoop.wait`), for an open
/// model of one-request iterations whose responses start nothing and are timed by the kernel's receive stamp.
///
/// A late read changes no figure only while three things hold. The kernel stamps reads: it starts a moment after
/// the first socket asks, and an unstamped read is timed when read. Each response arrives whole before it is read:
/// one larger than the socket's receive window is held back by the server until it is read, so reading it late
/// would slow the transfer it times. And nothing waits on a read: a request queued for a connection, or a connect.
struct LateReads {
    private(set) var stampsComing = false
    /// A response has been read in pieces: responses may outgrow the window, so reads stay prompt for the run.
    private(set) var responsesInPieces = false

    /// Notes a read that returned bytes: whether it carried a stamp, and whether it ended partway through a response.
    mutating func read(stamped: Bool, endedMidResponse: Bool) {
        stampsComing = stamped
        if endedMidResponse { responsesInPieces = true }
    }

    func allowed(connectsPending: Bool, requestsWaiting: Bool) -> Bool {
        stampsComing && !responsesInPieces && !connectsPending && !requestsWaiting
    }
}
