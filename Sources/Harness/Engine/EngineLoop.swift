import Foundation
import CEventLoop
import Glibc

/// What an `EngineLoop` tells a registered socket.
protocol EngineSocket: AnyObject {
    /// Bytes (or the end of the stream, or an error) wait to be read.
    func readable()
    /// The socket can take bytes again, or a connect finished.
    func writable()
}

/// The load engine's own event loop: one thread, epoll for its sockets and a deadline heap for its timers.
///
/// At 10k req/s on one CPU, NIO's channel machinery (pipeline, read allocator, re-arming a read after every
/// read) cost about half of the generator's user time, which put it at 1.4x wrk2's CPU per request; an engine
/// with one request per connection needs none of it. Sockets stay registered for reading for their whole life
/// (no epoll_ctl per request), and timers wake with nanosecond timeouts (epoll_pwait2), so the open model's
/// schedule keeps its precision without a timerfd call per wake.
///
/// Everything except `execute` must be called on the loop's thread; that confinement is why it needs no lock
/// beyond the one guarding tasks from other threads.
final class EngineLoop: @unchecked Sendable {
    private let epoll: Int32
    /// An eventfd that wakes the loop for tasks from other threads.
    private let wake: Int32
    private let lock = NSLock()
    private var submitted: [() -> Void] = []
    private var timers = TimerHeap()
    private var stopped = false
    /// Registered sockets by slot; epoll's data holds the slot and its generation, so an event for a socket
    /// closed earlier in the same batch is recognised and dropped.
    private var slots: [Slot] = []
    private var freeSlots: [Int] = []
    private let name: String
    /// Without epoll_pwait2 (Linux before 5.11, and valgrind), a timerfd armed before each wait: every call
    /// returned ENOSYS at once, and the loop spun a whole CPU between timers. Nil when the kernel has it.
    private let timerFD: Int32?
    /// Waits so far: a loop that sleeps between timers waits about once per timer or event.
    private(set) var waits = 0
    /// Set by the owner: whether socket events may wait for a timer due within `readHorizon` (see `wait`).
    var socketsMayWait: (() -> Bool)?
    /// How far ahead a timer may be for socket events to wait for it (ns); set by the owner.
    var readHorizon: UInt64 = 1_000_000

    private struct Slot {
        var socket: (any EngineSocket)?
        var generation: UInt32 = 0
    }

    /// A socket's place in the loop, for `watchWrites` and `remove`.
    struct Registration {
        let slot: Int
        let generation: UInt32
        var token: UInt64 { UInt64(generation) << 32 | UInt64(slot) }
    }

    private static let wakeToken = UInt64.max
    private static let timerToken = UInt64.max - 1

    /// Whether epoll_pwait2 works here, asked once with a wait that does not block. Any failure counts: ENOSYS
    /// from an old kernel, or EPERM from a container's seccomp filter that predates the call.
    static let kernelHasEpollPwait2: Bool = {
        let probe = epoll_create1(Int32(EPOLL_CLOEXEC))
        defer { close(probe) }
        var event = epoll_event()
        var zero = timespec()
        return epoll_pwait2(probe, &event, 1, &zero, nil) >= 0
    }()

    init(name: String, waitsOnTimerFD: Bool = !EngineLoop.kernelHasEpollPwait2) {
        self.name = name
        epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        wake = eventfd(0, Int32(EFD_CLOEXEC | EFD_NONBLOCK))
        timerFD = waitsOnTimerFD ? timerfd_create(CLOCK_MONOTONIC, Int32(TFD_CLOEXEC | TFD_NONBLOCK)) : nil
        precondition(epoll >= 0 && wake >= 0 && (timerFD ?? 0) >= 0, "epoll, eventfd or timerfd: \(String(cString: strerror(errno)))")
        for (fd, token) in [(wake, Self.wakeToken), (timerFD, Self.timerToken)] {
            guard let fd else { continue }
            var ev = epoll_event(events: EPOLLIN.rawValue, data: epoll_data_t(u64: token))
            epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &ev)
        }
    }

    deinit {
        close(epoll)
        close(wake)
        if let timerFD { close(timerFD) }
    }

    /// Starts the thread, which runs `first` and then serves sockets and timers until `stop`.
    func start(_ first: @escaping () -> Void) {
        submitted.append(first)
        // Named from inside: a thread otherwise keeps its creator's name (a Dispatch worker's), and top, perf and
        // /proc would not show which thread is the engine.
        Thread {
            _ = pthread_setname_np(pthread_self(), String(self.name.prefix(15)))
            self.run()
        }.start()
    }

    /// Runs `task` on the loop, from any thread.
    func execute(_ task: @escaping @Sendable () -> Void) {
        lock.lock()
        submitted.append(task)
        lock.unlock()
        var one: UInt64 = 1
        _ = write(wake, &one, 8)
    }

    /// Monotonic nanoseconds: the clock of deadlines, and of the sleep until one (`CLOCK_MONOTONIC` both).
    static func now() -> UInt64 {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return UInt64(t.nanos)
    }

    /// Runs `task` at `deadline` (monotonic ns, as `now`), or at once if it has passed.
    func schedule(at deadline: UInt64, _ task: @escaping () -> Void) {
        timers.push(deadline, task)
    }

    func schedule(in nanos: UInt64, _ task: @escaping () -> Void) {
        schedule(at: Self.now() + nanos, task)
    }

    /// Ends the loop after the current event; its thread exits and pending timers never run.
    func stop() { stopped = true }

    // MARK: Sockets

    /// Watches `fd` for reading (and for writing while `writes`) on behalf of `socket`.
    func add(_ fd: Int32, _ socket: any EngineSocket, writes: Bool) -> Registration {
        let slot: Int
        if let free = freeSlots.popLast() { slot = free } else { slot = slots.count; slots.append(Slot()) }
        slots[slot].socket = socket
        let reg = Registration(slot: slot, generation: slots[slot].generation)
        var ev = epoll_event(events: Self.events(writes: writes), data: epoll_data_t(u64: reg.token))
        epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &ev)
        return reg
    }

    /// Starts or stops watching a registered socket for writing.
    func watchWrites(_ fd: Int32, _ reg: Registration, _ on: Bool) {
        var ev = epoll_event(events: Self.events(writes: on), data: epoll_data_t(u64: reg.token))
        epoll_ctl(epoll, EPOLL_CTL_MOD, fd, &ev)
    }

    /// Forgets a socket before its descriptor is closed; events already fetched for it are dropped.
    func remove(_ fd: Int32, _ reg: Registration) {
        epoll_ctl(epoll, EPOLL_CTL_DEL, fd, nil)
        slots[reg.slot].socket = nil
        slots[reg.slot].generation &+= 1
        freeSlots.append(reg.slot)
    }

    private static func events(writes: Bool) -> UInt32 {
        EPOLLIN.rawValue | EPOLLRDHUP.rawValue | (writes ? EPOLLOUT.rawValue : 0)
    }

    // MARK: The loop

    private func run() {
        var events = [epoll_event](repeating: epoll_event(), count: 256)
        while !stopped {
            runSubmitted()
            runDueTimers()
            if stopped { break }
            let n = wait(for: &events)
            guard n > 0 else { continue }  // a timeout, or EINTR
            for i in 0..<Int(n) where !stopped {
                let token = events[i].data.u64
                if token == Self.wakeToken || token == Self.timerToken {
                    var count: UInt64 = 0
                    _ = read(token == Self.wakeToken ? wake : timerFD!, &count, 8)
                    continue
                }
                guard let socket = registered(token) else { continue }
                let flags = events[i].events
                if flags & EPOLLOUT.rawValue != 0 { socket.writable() }
                // An error or hang-up is read too: the read reports it (0 bytes, or the errno). Not if the write
                // closed it.
                if flags & (EPOLLIN.rawValue | EPOLLRDHUP.rawValue | EPOLLHUP.rawValue | EPOLLERR.rawValue) != 0,
                   registered(token) != nil {
                    socket.readable()
                }
            }
        }
        // Timers and sockets hold their owners (the shard holds this loop): let both go with the thread.
        timers = TimerHeap()
        slots = []
        lock.lock()
        submitted = []
        lock.unlock()
    }

    /// The socket an event's token names, unless it was removed since (its slot's generation moved on).
    private func registered(_ token: UInt64) -> (any EngineSocket)? {
        let slot = Int(token & 0xFFFF_FFFF)
        return slots[slot].generation == UInt32(token >> 32) ? slots[slot].socket : nil
    }

    /// Waits for events until the next timer is due (without a timer, until an event).
    private func wait(for events: inout [epoll_event]) -> Int32 {
        waits += 1
        guard let next = timers.nextDeadline else { return poll(&events, for: nil) }
        // Negative when the next timer is due already (one ran late): then poll without waiting, so sockets are
        // served between timers.
        let ahead = Int64(bitPattern: next &- Self.now())
        if ahead > 0, ahead <= Int64(readHorizon), socketsMayWait?() == true {
            // A timer is due within the horizon and the owner can read late (it times responses by the kernel's
            // receive stamp): sleep until the timer and take the sockets then, so a tick and its responses cost
            // one wake rather than two. On one CPU beside the server, the second wake (a context switch each
            // way) cost more than the request.
            var due = timespec(nanos: next)
            while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &due, nil) == EINTR {}
            return poll(&events, for: 0)
        }
        return poll(&events, for: UInt64(max(ahead, 0)))
    }

    /// Waits for events for at most `nanos` (nil: until one comes).
    private func poll(_ events: inout [epoll_event], for nanos: UInt64?) -> Int32 {
        let count = Int32(events.count)
        if let timerFD {
            // epoll_wait's timeout is in milliseconds: a timer ahead wakes the loop through the timerfd instead.
            if let nanos, nanos > 0 {
                var due = itimerspec(it_interval: timespec(), it_value: timespec(nanos: nanos))
                timerfd_settime(timerFD, 0, &due, nil)
            }
            return epoll_wait(epoll, &events, count, nanos == 0 ? 0 : -1)
        }
        guard let nanos else { return epoll_pwait2(epoll, &events, count, nil, nil) }
        var timeout = timespec(nanos: nanos)
        return epoll_pwait2(epoll, &events, count, &timeout, nil)
    }

    private func runSubmitted() {
        lock.lock()
        let tasks = submitted
        submitted.removeAll(keepingCapacity: true)
        lock.unlock()
        for task in tasks where !stopped { task() }
    }

    private func runDueTimers() {
        let now = Self.now()
        while !stopped, let task = timers.popDue(now: now) { task() }
    }
}
