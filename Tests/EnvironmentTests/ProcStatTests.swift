import Foundation
import Testing
@testable import Harness
@testable import Environment

@Suite struct ProcStatTests {
    @Test func parsesStatWithAwkwardNames() throws {
        let line = "4242 (my (odd) name) S 1 4242 4242 0 -1 4194560 500 0 0 0 250 50 0 0 20 0 7 0 12345 100000000 2048 18446744073709551615"
        let s = try #require(ProcStat.parse(stat: line, pid: 4242, ticksPerSecond: 100, pageSize: 4096))
        #expect(s.parent == 1)
        #expect(abs(s.cpuSeconds - 3.0) < 1e-9)
        #expect(s.threads == 7)
        #expect(s.rssBytes == 2048 * 4096)
        #expect(ProcStat.parse(stat: "garbage", pid: 1, ticksPerSecond: 100, pageSize: 4096) == nil)
    }

    @Test func countsReapedChildrenAndReadsTheMachinesCounters() throws {
        // cutime 30 and cstime 20 ticks: PostgreSQL backends that ended still count for the postmaster.
        let line = "7 (postgres) S 1 7 7 0 -1 4194560 500 0 0 0 250 50 30 20 20 0 7 0 12345 100000000 2048 18446744073709551615"
        #expect(abs(try #require(ProcStat.parse(stat: line, pid: 7, ticksPerSecond: 100, pageSize: 4096)).cpuSeconds - 3.5) < 1e-9)
        let a = try #require(HostCPU.parse("cpu  1000 10 200 5000 30 5 40 20 0 0\ncpu0 500 5 100 2500 15 2 20 10 0 0\ncpu1 500 5 100 2500 15 3 20 10 0 0\nintr 1\n", ticksPerSecond: 100))
        #expect(a.busy == 12.1 && a.steal == 0.2 && a.cores == 2)
        // 10 s on 2 cores later: 8 s busy, 2 of them the run's own, and 0.4 s stolen.
        let b = HostCPU(busy: a.busy + 8, steal: a.steal + 0.4, cores: 2)
        let load = try #require(a.load(to: b, ownSeconds: 2, elapsed: 10))
        #expect(abs(load.other - 0.3) < 1e-9 && abs(load.steal - 0.02) < 1e-9 && load.disturbed)
        #expect(HostCPU.parse("intr 1", ticksPerSecond: 100) == nil)
        #expect(HostCPU.read().map { $0.cores >= 1 } == true)
    }

    /// A postmaster (1) reaps backend 3, 5 s of CPU, right after the tree's first read of it: 3 is gone from
    /// /proc and its CPU is in 1's cutime, which was read before. Read once, the tree dips from 8 s to 3 s.
    @Test func aChildReapedDuringATreeReadIsCountedOnce() {
        let parents: [Int32: Int32] = [1: 0, 2: 1, 3: 1]
        func stat(_ pid: Int32, _ cpu: Double, reaped: Double = 0) -> ProcStat {
            ProcStat(pid: pid, parent: parents[pid] ?? 0, cpuSeconds: cpu, rssBytes: 0, threads: 1, fds: 0, reapedSeconds: reaped)
        }
        var reaped = false, rootReads = 0
        let total = ProcStat.sumTree(1, parents: parents) { pid in
            switch pid {
            case 1:
                rootReads += 1
                let s = reaped ? stat(1, 6, reaped: 5) : stat(1, 1)
                reaped = true
                return s
            case 2: return stat(2, 2)
            default: return reaped ? nil : stat(3, 5)
            }
        }
        #expect(total?.cpuSeconds == 8 && total?.threads == 2, "\(String(describing: total))")
        #expect(rootReads == 3, "read, changed, read again and checked")
        // Nothing reaped: one pass, the root read before and after it.
        rootReads = 0
        let still = ProcStat.sumTree(1, parents: parents) { pid in
            if pid == 1 { rootReads += 1 }
            return stat(pid, pid == 1 ? 6 : 2, reaped: pid == 1 ? 5 : 0)
        }
        #expect(still?.cpuSeconds == 10 && rootReads == 2)
    }

    @Test func readsThisProcess() throws {
        let s = try #require(ProcStat.read(getpid()))
        #expect(s.rssBytes > 1_000_000 && s.threads >= 1 && s.fds >= 3)
        let rows = [ResourceRow(t: 0, cpuSeconds: 1, cpuPercent: 0, memoryMb: 100, threads: 2, fds: 3),
                    ResourceRow(t: 10, cpuSeconds: 6, cpuPercent: 50, memoryMb: 110, threads: 4, fds: 5)]
        let r = try #require(ProcessResources(rows: rows))
        #expect(r.cpuSeconds == 5 && r.cpuPercentMean == 50 && r.threadsMax == 4 && abs(r.memorySlopeKbPerS - 1024) < 1e-9)
    }
}
