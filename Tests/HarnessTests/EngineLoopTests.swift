import Foundation
import Glibc
import Testing
@testable import Harness

/// The engine's loop on its own: timer order, tasks from other threads, and sockets closed mid-batch.
@Suite struct EngineLoopTests {
    @Test func timersRunByDeadlineAndTiesInTheOrderScheduled() {
        var heap = TimerHeap()
        var ran: [Int] = []
        for (i, deadline) in [50, 10, 30, 10, 20, 50].enumerated() { heap.push(UInt64(deadline)) { ran.append(i) } }
        #expect(heap.popDue(now: 5) == nil)
        while let task = heap.popDue(now: 100) { task() }
        #expect(ran == [1, 3, 4, 2, 0, 5])
        #expect(heap.count == 0)
    }

    /// A task from another thread wakes a loop that sleeps until a timer far ahead; timers then run on time. With
    /// epoll_pwait2's timeouts, and with a timerfd for kernels without it.
    @Test(arguments: [false, true])
    func aTaskFromAnotherThreadWakesTheLoop(waitsOnTimerFD: Bool) async {
        let loop = EngineLoop(name: "test-loop", waitsOnTimerFD: waitsOnTimerFD)
        let seen = await withCheckedContinuation { (done: CheckedContinuation<[String], Never>) in
            nonisolated(unsafe) var log: [String] = []
            loop.start {
                loop.schedule(in: 60_000_000_000) { log.append("far") }
                loop.schedule(in: 20_000_000) { log.append("20ms") }
            }
            DispatchQueue.global().asyncAfter(deadline: .now() + 0.1) {
                loop.execute {
                    log.append("task")
                    loop.schedule(in: 0) { log.append("at once"); loop.stop(); done.resume(returning: log) }
                }
            }
        }
        #expect(seen == ["20ms", "task", "at once"])
    }

    /// The loop sleeps until its next timer, however it waits: without epoll_pwait2, every wait had returned at
    /// once and the loop spun, millions of waits for these five timers.
    @Test(arguments: [false, true])
    func theLoopSleepsBetweenTimers(waitsOnTimerFD: Bool) async {
        let loop = EngineLoop(name: "test-loop", waitsOnTimerFD: waitsOnTimerFD)
        let (waits, ranAt) = await withCheckedContinuation { (done: CheckedContinuation<(Int, [Bool]), Never>) in
            nonisolated(unsafe) var ranAt: [Bool] = []
            loop.start {
                for i in 1...5 {
                    let due = EngineLoop.now() + UInt64(i) * 20_000_000
                    loop.schedule(at: due) {
                        ranAt.append(EngineLoop.now() >= due)
                        if i == 5 { loop.stop(); done.resume(returning: (loop.waits, ranAt)) }
                    }
                }
            }
        }
        #expect(ranAt == [true, true, true, true, true])
        #expect(waits <= 10, "\(waits) waits")
    }

    /// Two sockets readable in one batch, each closing the other when served: the one closed first is not served,
    /// though its event was already fetched (its slot may even have been reused).
    @Test func aSocketClosedEarlierInTheBatchGetsNoEvent() async {
        let loop = EngineLoop(name: "test-loop")
        var a: [Int32] = [0, 0], b: [Int32] = [0, 0]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0, &a) == 0)
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0, &b) == 0)
        defer { [a[1], b[1]].forEach { _ = close($0) } }
        let served = await withCheckedContinuation { (done: CheckedContinuation<Int, Never>) in
            let first = Peer(fd: a[0], loop: loop), second = Peer(fd: b[0], loop: loop)
            first.other = second
            second.other = first
            loop.start {
                first.registration = loop.add(first.fd, first, writes: false)
                second.registration = loop.add(second.fd, second, writes: false)
                // A third socket that takes the freed slot must not receive the closed one's event either.
                var c: [Int32] = [0, 0]
                _ = socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0, &c)
                first.spare = Peer(fd: c[0], loop: loop)
                _ = write(a[1], "x", 1)
                _ = write(b[1], "x", 1)
                loop.schedule(in: 200_000_000) {
                    loop.stop()
                    for peer in [first, second, first.spare!] where peer.registration != nil { close(peer.fd) }
                    close(c[1])
                    done.resume(returning: first.served + second.served + first.spare!.served)
                }
            }
        }
        #expect(served == 1)
    }

    /// With a timer due within the horizon and an owner that reads late, a readable socket waits for the timer:
    /// a tick and its responses take one wake.
    @Test(arguments: [false, true])
    func aSocketWaitsForATimerDueWithinTheHorizon(waitsOnTimerFD: Bool) async {
        let loop = EngineLoop(name: "test-loop", waitsOnTimerFD: waitsOnTimerFD)
        loop.socketsMayWait = { true }
        var p: [Int32] = [0, 0]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0, &p) == 0)
        defer { p.forEach { _ = close($0) } }
        let reader = Peer(fd: p[0], loop: loop)
        let (deadline, readAt) = await withCheckedContinuation { (done: CheckedContinuation<(UInt64, UInt64), Never>) in
            loop.start {
                reader.registration = loop.add(reader.fd, reader, writes: false)
                _ = write(p[1], "x", 1)
                let deadline = LoadEngineShard.now() + loop.readHorizon * 4 / 5
                loop.schedule(at: deadline) {}
                loop.schedule(at: deadline + 50_000_000) {
                    loop.stop()
                    loop.remove(reader.fd, reader.registration!)
                    done.resume(returning: (deadline, reader.servedAt))
                }
            }
        }
        #expect(reader.served == 1)
        #expect(readAt >= deadline)
    }

    /// A response read 50 ms after it came is timed at its arrival, by the kernel's stamp.
    @Test func aReadLateIsTimedAtItsArrival() throws {
        let address = try #require(ResolvedAddress.resolve(host: "127.0.0.1", port: try FreePort.pick()))
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(listener) }
        #expect(address.withSockAddr { bind(listener, $0, $1) } == 0 && listen(listener, 1) == 0)
        let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(client) }
        var one: Int32 = 1
        setsockopt(client, SOL_SOCKET, SO_TIMESTAMPNS, &one, socklen_t(MemoryLayout<Int32>.size))
        #expect(address.withSockAddr { connect(client, $0, $1) } == 0)
        let server = accept(listener, nil, nil)
        defer { close(server) }

        // The kernel starts stamping a moment after the first socket asks (its switch is flipped by a work queue):
        // until a stamp comes, reads go unstamped, and the engine times them when read.
        var stamp: timespec?
        var bytes = [UInt8](repeating: 0, count: 64)
        for _ in 0..<200 where stamp == nil {
            _ = write(server, "x", 1)
            _ = bytes.withUnsafeMutableBytes { ClientConnection.receive(client, into: $0, stamp: &stamp) }
            if stamp == nil { usleep(5_000) }
        }
        stamp = nil

        let before = LoadEngineShard.now()
        _ = write(server, "HTTP/1.1 200 OK", 15)
        let after = LoadEngineShard.now()
        usleep(50_000)
        let n = bytes.withUnsafeMutableBytes { ClientConnection.receive(client, into: $0, stamp: &stamp) }
        let readAt = LoadEngineShard.now()
        #expect(n == 15)
        let stamped: timespec = try #require(stamp)
        let arrived = ClientConnection.arrival(stamped)
        // The clocks are sampled apart: a millisecond either side.
        #expect(arrived + 1_000_000 >= before && arrived <= after + 1_000_000)
        #expect(readAt - arrived >= 40_000_000)
    }

    final class Peer: EngineSocket {
        let fd: Int32
        let loop: EngineLoop
        var registration: EngineLoop.Registration?
        weak var other: Peer?
        var spare: Peer?
        var served = 0
        var servedAt: UInt64 = 0

        init(fd: Int32, loop: EngineLoop) {
            self.fd = fd
            self.loop = loop
        }

        func readable() {
            served += 1
            servedAt = LoadEngineShard.now()
            var byte: UInt8 = 0
            _ = read(fd, &byte, 1)
            guard let other, let reg = other.registration else { return }
            loop.remove(other.fd, reg)
            close(other.fd)
            other.registration = nil
            // Reuses the freed slot, with the next generation.
            if let spare = spare ?? other.spare { spare.registration = loop.add(spare.fd, spare, writes: false) }
        }

        func writable() {}
    }
}
