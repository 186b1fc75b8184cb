import Environment
import Foundation
import Testing

@Suite struct PSSReaderTests {
    @Test func readsAgainOnlyWhereRSSMovedOrTheReadAged() {
        var r = PSSReader(step: 1 << 20, maxAge: 10)
        var pss: [Int32: UInt64] = [1: 50 << 20, 2: 70 << 20]
        var read = { (pid: Int32) in pss[pid] }
        #expect(r.pss(1, rss: 100 << 20, now: 0, read: read) == 50 << 20)
        #expect(r.pss(2, rss: 200 << 20, now: 0, read: read) == 70 << 20)
        #expect(r.reads == 2)
        // RSS within a MiB and the read younger than 10 s: the read stands, even though PSS moved meanwhile.
        pss[1] = 51 << 20
        read = { pid in pss[pid] }
        #expect(r.pss(1, rss: (100 << 20) + 1_000_000, now: 5, read: read) == 50 << 20)
        #expect(r.reads == 2)
        // A MiB of RSS either way reads again.
        #expect(r.pss(1, rss: 99 << 20, now: 6, read: read) == 51 << 20)
        #expect(r.reads == 3)
        // So does age, with RSS unmoved.
        pss[2] = 72 << 20
        read = { pid in pss[pid] }
        #expect(r.pss(2, rss: 200 << 20, now: 9.9, read: read) == 70 << 20)
        #expect(r.pss(2, rss: 200 << 20, now: 10, read: read) == 72 << 20)
        #expect(r.reads == 4)
    }

    @Test func aGoneProcessIsForgottenAndNoRollupLeavesRSS() {
        var r = PSSReader()
        let read = { (_: Int32) -> UInt64? in 8 << 20 }
        _ = r.pss(7, rss: 10 << 20, now: 0, read: read)
        r.keep([8])
        // pid 7 is used again by another process with the same RSS: it is read afresh.
        _ = r.pss(7, rss: 10 << 20, now: 1, read: read)
        #expect(r.reads == 2)
        #expect(r.pss(9, rss: 10 << 20, now: 1, read: { _ in nil }) == nil)
        #expect(r.pss(9, rss: 10 << 20, now: 2, read: { _ in nil }) == nil)
        #expect(r.reads == 4)
    }

    @Test func readsThisProcessesRollup() throws {
        let own = try #require(PSSReader.rollup(getpid()))
        #expect(own > 1_000_000)
    }
}
