import Testing
@testable import Harness

@Suite struct LateReadsTests {
    @Test func readsWaitOnlyOnceTheKernelStamps() {
        var late = LateReads()
        #expect(!late.allowed(connectsPending: false, requestsWaiting: false))
        late.read(stamped: true, endedMidResponse: false)
        #expect(late.allowed(connectsPending: false, requestsWaiting: false))
        // Stamping can stop again (the last stamping socket closed): that read was timed when read.
        late.read(stamped: false, endedMidResponse: false)
        #expect(!late.allowed(connectsPending: false, requestsWaiting: false))
    }

    /// A response read in pieces may be larger than the receive window: its server waits for the read, so reads
    /// stay prompt for the rest of the run, whatever comes whole after it.
    @Test func aResponseReadInPiecesKeepsReadsPromptForTheRun() {
        var late = LateReads()
        late.read(stamped: true, endedMidResponse: true)
        late.read(stamped: true, endedMidResponse: false)
        #expect(!late.allowed(connectsPending: false, requestsWaiting: false))
    }

    @Test func aRequestWaitingForAConnectionOrAConnectKeepsReadsPrompt() {
        var late = LateReads()
        late.read(stamped: true, endedMidResponse: false)
        #expect(!late.allowed(connectsPending: true, requestsWaiting: false))
        #expect(!late.allowed(connectsPending: false, requestsWaiting: true))
    }
}
