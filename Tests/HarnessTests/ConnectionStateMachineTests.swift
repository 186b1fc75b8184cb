import Testing
@testable import Harness

/// A connection's rules, without a socket: what each event returns, in every state it can arrive in.
@Suite struct ConnectionStateMachineTests {
    static func request(sent: UInt64 = 0) -> InFlightRequest {
        InFlightRequest(iteration: Iteration(journey: 0, vars: [:], vu: -1), dueNanos: 100, sentNanos: sent)
    }

    @Test func aConnectionWritesTheRequestItWasOpenedForThenServesKeepAlive() throws {
        var m = ConnectionStateMachine(connectingFor: Self.request())
        guard case .write(let first) = m.connected() else { Issue.record("no write"); return }
        #expect(first.dueNanos == 100)
        m.write(Self.request(sent: 150))
        let received = m.responseReceived(keepAlive: true, runFinished: false)
        let done = try #require(received)
        #expect(done.reuse && done.request.sentNanos == 150)
        guard case .idle = m.state else { Issue.record("\(m.state)"); return }
        // A second request on the idle connection, then the server says close.
        m.write(Self.request(sent: 300))
        let last = m.responseReceived(keepAlive: false, runFinished: false)
        #expect(last?.reuse == false && m.isClosed)
    }

    @Test func noConnectionIsKeptOnceTheRunHasFinished() {
        var m = ConnectionStateMachine(connectingFor: Self.request())
        m.write(Self.request(sent: 1))
        let r = m.responseReceived(keepAlive: true, runFinished: true)
        #expect(r?.reuse == false && m.isClosed)
    }

    @Test func closingHandsBackTheRequestInFlightOnceSoItIsCountedOnce() {
        // Busy: the request is returned to be recorded as failed; a second close (the peer's) returns nothing.
        var busy = ConnectionStateMachine(connectingFor: Self.request())
        busy.write(Self.request(sent: 5))
        let failed = busy.close(), again = busy.close()
        #expect(failed?.sentNanos == 5 && again == nil && busy.isClosed)
        // A response after a timeout already failed the request is ignored.
        let late = busy.responseReceived(keepAlive: true, runFinished: false)
        #expect(late == nil)
        // Still connecting (refused, or the run ended): the waiting request failed.
        var connecting = ConnectionStateMachine(connectingFor: Self.request())
        let waiting = connecting.close()
        #expect(waiting?.dueNanos == 100)
        // Connected after being closed: close the socket, write nothing.
        guard case .close = connecting.connected() else { Issue.record("wrote on a closed connection"); return }
        // Idle: nothing was in flight.
        var idle = ConnectionStateMachine(connectingFor: Self.request())
        idle.write(Self.request(sent: 1))
        _ = idle.responseReceived(keepAlive: true, runFinished: false)
        let none = idle.close()
        #expect(none == nil)
    }

    @Test func onlyAWrittenRequestTimesOut() {
        var m = ConnectionStateMachine(connectingFor: Self.request())
        #expect(!m.overdue(now: 10_000, limit: 10))  // connecting: the connect timeout bounds it
        m.write(Self.request(sent: 1_000))
        #expect(!m.overdue(now: 1_010, limit: 10) && m.overdue(now: 1_011, limit: 10))
    }
}

/// A shard's run: running, stopping with a grace period, finished once.
@Suite struct ShardStateMachineTests {
    @Test func theScheduleEndingWaitsForInFlightIterationsThenFinishesOnce() {
        var m = ShardStateMachine()
        #expect(m.running)
        let stop = m.stop(interrupt: false, grace: 30, inFlight: 3)
        #expect(stop == .finish(grace: 30, now: false))
        #expect(!m.running && !m.finished)
        #expect(!m.shouldFinish(inFlight: 2) && m.shouldFinish(inFlight: 0))
        let first = m.finish(), second = m.finish()
        #expect(first && m.finished && !m.interrupted)
        #expect(!second, "a second finish would build the result twice")
        let late = m.stop(interrupt: true, grace: 1, inFlight: 0)
        #expect(late == .none && !m.interrupted)
    }

    @Test func aSignalStopsAtOnceWhenIdleAndIsRecordedEvenDuringTheGrace() {
        var idle = ShardStateMachine()
        let stop = idle.stop(interrupt: true, grace: 1, inFlight: 0)
        let finished = idle.finish()
        #expect(stop == .finish(grace: 1, now: true) && finished && idle.interrupted)
        // The schedule ended first; a signal during its grace keeps that grace but marks the run interrupted.
        var m = ShardStateMachine()
        _ = m.stop(interrupt: false, grace: 30, inFlight: 1)
        let signal = m.stop(interrupt: true, grace: 1, inFlight: 1)
        #expect(signal == .none && m.interrupted)
        #expect(!m.shouldFinish(inFlight: 1))
    }
}
