import Foundation
import NIOCore

/// Generates one shard of a run's load on a single event loop of its own, and records it.
///
/// All state lives on `loop`, so nothing here takes a lock; the class is `@unchecked Sendable` only so that
/// `interrupt` may reach the loop from another thread.
final class LoadEngineShard: @unchecked Sendable {
    let loop: EngineLoop
    let plan: LoadPlan
    let shard: Int
    let shards: Int
    /// Per target, per journey, its steps: requests are compiled with each target's Host header.
    let compiled: [[[CompiledStep]]]
    /// The first target's steps, for what does not depend on the target (endpoints, checks, step counts); stored,
    /// not computed, since the receive path reads it for every response.
    let journeys: [[CompiledStep]]
    let cumulativeWeights: [Double]
    /// Per journey: whether any step reads or writes variables. Static journeys skip the per-iteration dictionary.
    let usesVariables: [Bool]
    /// The plan's request timeout in nanoseconds, from the send.
    let timeoutNanos: UInt64
    let sinks: IntervalCollector?
    var rng: SplitMix64

    // Schedule.
    var t0: UInt64 = 0
    var nextIteration: UInt64
    var lifecycle = ShardStateMachine()
    /// The open model's wake, made once: a closure per wake would be an allocation per tick.
    private var openTick: (() -> Void)?
    private var done: CheckedContinuation<RunResult, Never>?
    var startedAt = Date()

    // Connections.
    /// Per target, keep-alive connections ready for a request.
    var idle: [[ClientConnection]]
    /// `plan.targets`, built once: the plan's computed array would be rebuilt for every iteration.
    let targets: [TargetAddress]
    /// Per target, its address, resolved when the run starts; nil if the name resolves to none.
    var addresses: [ResolvedAddress?] = []
    /// One buffer for every connection's reads: the loop serves one socket at a time.
    private var readBuffer: ByteBuffer?
    /// This shard's part of the open model's in-flight cap (after the segment's part), fixed for the run.
    let openCap: Int
    var open: [ObjectIdentifier: ClientConnection] = [:]
    /// This shard's part of `plan.maxConnections`; nil for no limit.
    let connectionCap: Int?
    /// Per target, requests waiting for a connection under that limit.
    var waiting: [FIFOQueue<InFlightRequest>]
    var heldForConnection: UInt64 = 0
    /// Connects under way.
    var pendingConnects = 0
    /// Responses are timed by the kernel's receive stamp, so the loop may read them late (`EngineLoop.run`).
    /// Only when a response starts nothing: an open model of one-request iterations without sessions. A next
    /// step, a session's next iteration or a closed model's next request would start late and be timed from then.
    let stampsReads: Bool
    var lateReads = LateReads()
    var peakConnections = 0

    // Iterations.
    var inFlight = 0
    var peakInFlight = 0
    var iterationsStarted: UInt64 = 0
    var iterationsCompleted: UInt64 = 0
    var dropped: UInt64 = 0

    // Sessions (plans with a SessionSpec): per target, sessions between iterations, ready for another.
    var sessions: [[SessionState]]
    /// Per target, sessions alive, idle or serving an iteration.
    var liveSessions: [Int]
    /// Per target, arrived iterations that found every session busy and no credit for another, oldest first.
    var awaitingSession: [FIFOQueue<PendingIteration>]
    /// New sessions beyond those that replace ended ones: users arrive at the iteration rate over a session's
    /// length, whatever the server's latency. Starting a session (a login) whenever all were busy made a stall
    /// start logins, and the logins the next stall (`mailstorm run api` at 1,600 req/s: login p50 92 ms, of it
    /// 69 ms waiting for a hashing slot that was busy 28% of the time).
    var sessionCredit = LoadEngineShard.sessionBurst
    /// New sessions that may start at once, beyond the arrivals' credit.
    static let sessionBurst = 8.0

    // Closed model.
    var vuActive: [Bool] = []
    var vuTarget = 0

    var recorder: ShardRecorder

    init(plan: LoadPlan, shard: Int, shards: Int, sinks: IntervalCollector?) {
        loop = EngineLoop(name: "engine-\(shard)")
        self.plan = plan
        self.shard = shard
        self.shards = shards
        self.sinks = sinks
        let names = plan.endpointNames
        targets = plan.targets
        // A session's setup steps compile as one more journey after the plan's, never drawn by weight.
        let all = plan.journeys.map(\.steps) + (plan.session.map { [$0.setup] } ?? [])
        compiled = targets.map { target in
            all.map { steps in steps.map { CompiledStep($0, endpoint: names.firstIndex(of: $0.name)!, target: target) } }
        }
        sessions = targets.map { _ in [] }
        liveSessions = targets.map { _ in 0 }
        awaitingSession = targets.map { _ in FIFOQueue() }
        journeys = compiled[0]
        idle = targets.map { _ in [] }
        waiting = targets.map { _ in FIFOQueue() }
        connectionCap = plan.maxConnections.map { max(1, Self.share(of: plan.segment.share(of: $0), shard: shard, shards: shards)) }
        if case .open(_, let cap) = plan.workload {
            openCap = Self.share(of: plan.segment.share(of: cap), shard: shard, shards: shards)
            stampsReads = plan.session == nil && plan.journeys.allSatisfy { $0.steps.count == 1 }
        } else {
            openCap = 0
            stampsReads = false
        }
        timeoutNanos = UInt64(plan.requestTimeoutSeconds * 1e9)
        usesVariables = compiled[0].map { steps in steps.contains { $0.staticBytes == nil || $0.needsBody } }
        var acc = 0.0
        cumulativeWeights = plan.journeys.map { acc += $0.weight; return acc }
        rng = SplitMix64(seed: plan.seed &+ UInt64(shard) &* 0x1000_0001)
        nextIteration = UInt64(shard)
        recorder = ShardRecorder(endpoints: names)
        if stampsReads {
            // A tick sends what falls due within the send window, so from 1k req/s per shard the next tick is due
            // within the window and a millisecond: responses then wait for it.
            loop.readHorizon = plan.sendWindowNanos + 1_000_000
            loop.socketsMayWait = { [unowned self] in
                lateReads.allowed(connectsPending: pendingConnects > 0, requestsWaiting: !waiting.allSatisfy(\.isEmpty))
            }
        }
    }

    static func now() -> UInt64 { EngineLoop.now() }

    // MARK: Start and stop

    /// Runs the shard's schedule on its own thread; returns once in-flight requests are done or cut off.
    func run() async -> RunResult {
        await withCheckedContinuation { continuation in
            done = continuation
            loop.start { self.begin() }
        }
    }

    private func begin() {
        addresses = targets.map { ResolvedAddress.resolve(host: $0.host, port: $0.port) }
        startedAt = Date()
        t0 = Self.now()
        switch plan.workload {
        case .open(let pacer, _):
            let pacer = plan.segment.isWhole ? pacer : SegmentedPacer(pacer, segment: plan.segment)
            openTick = { [unowned self] in tickOpen(pacer) }
            tickOpen(pacer)
        case .closed(let startVUs, _): vuTarget = share(of: plan.segment.share(of: startVUs)); adjustVUs()
        }
        scheduleInterval()
        scheduleSweep()
        loop.schedule(at: t0 + plan.workload.durationNanos) { self.scheduleEnded() }
    }

    /// Stops early (a signal): no new iterations; in-flight ones get one second.
    func interrupt() {
        loop.execute { self.scheduleEnded(interrupt: true, grace: 1) }
    }

    private func scheduleEnded(interrupt: Bool = false, grace: Double? = nil) {
        // Iterations still waiting for a session were due but never sent: dropped, as past the in-flight cap.
        if lifecycle.running {
            for t in awaitingSession.indices {
                while awaitingSession[t].pop() != nil { inFlight -= 1; dropped += 1; recorder.dropped() }
            }
        }
        guard case .finish(let g, let now) = lifecycle.stop(interrupt: interrupt, grace: grace ?? plan.gracefulStopSeconds, inFlight: inFlight) else { return }
        loop.schedule(in: UInt64(g * 1e9)) { self.finish() }
        if now { finish() }
    }

    private func finish() {
        guard lifecycle.finish() else { return }
        let end = Self.now()
        // Whatever is still in flight is cut off by the end of the run, not by the server: count it as a timeout.
        for conn in open.values {
            if let req = conn.state.close() { recordTransportError(req, .timeout) }
            conn.close()
        }
        for t in waiting.indices { while let req = waiting[t].pop() { recordTransportError(req, .timeout) } }
        emitInterval(at: end, final: true)
        var result = RunResult(
            startedAt: startedAt, durationSeconds: Double(end - t0) / 1e9, overall: recorder.overall, endpoints: recorder.endpoints,
            byStatusClass: recorder.byStatusClass, droppedIterations: dropped, iterationsCompleted: iterationsCompleted,
            iterationsStarted: iterationsStarted, intervals: [], peakConnections: peakConnections,
            peakInFlight: peakInFlight, interrupted: lifecycle.interrupted)
        result.heldForConnection = heldForConnection
        loop.stop()
        done?.resume(returning: result)
        done = nil
    }

    /// This shard's part of a count split across shards.
    private func share(of n: Int) -> Int { Self.share(of: n, shard: shard, shards: shards) }
    static func share(of n: Int, shard: Int, shards: Int) -> Int { n / shards + (shard < n % shards ? 1 : 0) }

    // MARK: Open model

    private func tickOpen(_ pacer: any Pacer) {
        guard lifecycle.running else { return }
        let now = Self.now()
        while let due = pacer.dueTime(ofIteration: nextIteration) {
            let at = t0 + due
            if at > now + plan.sendWindowNanos {
                loop.schedule(at: at, openTick!)
                return
            }
            nextIteration += UInt64(shards)
            guard inFlight < openCap else {
                // Past the cap the iteration is counted, never silently delayed (k6's dropped_iterations).
                dropped += 1
                recorder.dropped()
                continue
            }
            startIteration(due: at, vu: -1)
        }
    }

    // MARK: Closed model

    private func adjustVUs() {
        guard lifecycle.running, case .closed(let startVUs, let stages) = plan.workload else { return }
        vuTarget = share(of: plan.segment.share(of: VUStage.vus(at: Self.now() - t0, start: startVUs, stages: stages)))
        let active = vuActive.lazy.filter { $0 }.count
        if active < vuTarget {
            var need = vuTarget - active
            for i in vuActive.indices where need > 0 && !vuActive[i] { vuActive[i] = true; need -= 1; startIteration(due: Self.now(), vu: i) }
            while need > 0 { vuActive.append(true); need -= 1; startIteration(due: Self.now(), vu: vuActive.count - 1) }
        } else if active > vuTarget {
            var extra = active - vuTarget
            for i in vuActive.indices.reversed() where extra > 0 && vuActive[i] { vuActive[i] = false; extra -= 1 }
        }
    }

    // MARK: Iterations

    private func startIteration(due: UInt64, vu: Int) {
        var j = 0
        if cumulativeWeights.count > 1 {
            let pick = Double.random(in: 0..<cumulativeWeights.last!, using: &rng)
            j = cumulativeWeights.firstIndex(where: { pick < $0 }) ?? 0
        }
        // The global iteration number: segments and shards deal variable rows and targets as one process would.
        let n = Int(plan.segment.global(iterationsStarted * UInt64(shards) + UInt64(shard)))
        let target = n % targets.count
        iterationsStarted += 1
        inFlight += 1
        peakInFlight = max(peakInFlight, inFlight)
        let pending = PendingIteration(journey: j, number: n, target: target, vu: vu, due: due)
        guard let spec = plan.session else { return launch(pending, session: nil, starts: false) }
        sessionCredit = min(sessionCredit + 1 / spec.meanIterations, Self.sessionBurst)
        if let s = sessions[target].popLast() {
            launch(pending, session: s, starts: false)
        } else if vu >= 0 || sessionCredit >= 1 || liveSessions[target] == 0 {
            // A closed model's users are its VUs, each with a session of its own: no credit applies.
            sessionCredit = max(sessionCredit - 1, 0)
            liveSessions[target] += 1
            launch(pending, session: newSession(spec), starts: true)
        } else {
            awaitingSession[target].push(pending)
        }
    }

    /// Sends an iteration, in `session` when the plan has sessions; `starts`: the session is new and logs in first.
    private func launch(_ p: PendingIteration, session: SessionState?, starts: Bool) {
        var vars: [String: String] = [:]
        if let session {
            vars = starts ? plan.variables.rows[p.number % plan.variables.rows.count] : session.vars
        } else if usesVariables[p.journey] {
            vars = plan.variables.rows[p.number % plan.variables.rows.count]
        }
        if session != nil || usesVariables[p.journey] {
            vars["iteration"] = String(p.number)
            vars["vu"] = String(p.vu)
        }
        // A new session runs its setup first (the journey after the plan's), then the drawn journey.
        let it = Iteration(journey: starts ? plan.journeys.count : p.journey, vars: vars, vu: p.vu, target: p.target)
        it.session = session
        if starts { it.afterSetup = p.journey }
        send(it, due: p.due)
    }

    /// A session that has yet to log in, serving a drawn number of iterations.
    private func newSession(_ spec: SessionSpec) -> SessionState {
        SessionState(vars: [:], remaining: Int.random(in: spec.iterations, using: &rng))
    }

    /// A session is free for another iteration: the oldest waiting one, or the idle pool.
    private func release(_ s: SessionState, target: Int) {
        if let p = awaitingSession[target].pop() { launch(p, session: s, starts: false) } else { sessions[target].append(s) }
    }

    /// A session ended (its count ran out, or its setup failed): a waiting iteration starts its replacement.
    private func sessionEnded(target: Int) {
        liveSessions[target] -= 1
        guard lifecycle.running, let p = awaitingSession[target].pop(), let spec = plan.session else { return }
        liveSessions[target] += 1
        launch(p, session: newSession(spec), starts: true)
    }

    private func endIteration(_ it: Iteration, at now: UInt64) {
        inFlight -= 1
        if !it.failed { iterationsCompleted += 1 }
        // A session whose setup failed is dropped (the next iteration logs in afresh); otherwise it keeps what
        // this iteration gathered and serves the next, until its count runs out.
        if let s = it.session {
            let served = it.afterSetup == nil
            if served {
                s.vars = it.vars
                s.remaining -= 1
            }
            if served, s.remaining > 0, lifecycle.running { release(s, target: it.target) } else { sessionEnded(target: it.target) }
        }
        if it.vu >= 0, lifecycle.running, vuActive[it.vu] {
            let think = plan.think.sampleNanos(using: &rng)
            if think == 0 { startNextForVU(it.vu, due: now) }
            else { loop.schedule(at: now + think) { self.startNextForVU(it.vu, due: now + think) } }
        }
        if lifecycle.shouldFinish(inFlight: inFlight) { finish() }
    }

    private func startNextForVU(_ vu: Int, due: UInt64) {
        guard lifecycle.running, vuActive[vu] else { return }
        startIteration(due: due, vu: vu)
    }

    private func send(_ it: Iteration, due: UInt64) {
        guard !lifecycle.finished else { return }
        let request = InFlightRequest(iteration: it, dueNanos: due, sentNanos: 0)
        if let conn = idle[it.target].popLast() {
            write(request, on: conn)
        } else if roomToConnect() {
            connect(for: request)
        } else {
            waiting[it.target].push(request)
        }
    }

    /// Whether a new connection fits under the limit, closing an idle one to another target to make room if need be.
    private func roomToConnect() -> Bool {
        guard let cap = connectionCap, open.count >= cap else { return true }
        guard let t = idle.firstIndex(where: { !$0.isEmpty }), let spare = idle[t].popLast() else { return false }
        _ = spare.state.close()
        open[ObjectIdentifier(spare)] = nil  // not forget(): that would hand the freed place to a waiting request
        spare.close()
        return true
    }

    /// A connection is free for another request: the oldest waiting for its target takes it.
    private func reuse(_ conn: ClientConnection) {
        guard let next = waiting[conn.target].pop() else { idle[conn.target].append(conn); return }
        countIfHeld(next, at: write(next, on: conn))
    }

    private func countIfHeld(_ request: InFlightRequest, at now: UInt64) {
        if now > request.dueNanos + 1_000_000 { heldForConnection += 1 }
    }

    /// A connection closed under the limit: waiting requests may open new ones.
    private func connectWaiting() {
        guard let cap = connectionCap, !lifecycle.finished else { return }
        for t in waiting.indices {
            while open.count < cap, let req = waiting[t].pop() {
                countIfHeld(req, at: Self.now())
                connect(for: req)
            }
        }
    }

    /// Writes the request; returns when it went out.
    @discardableResult
    private func write(_ request: InFlightRequest, on conn: ClientConnection) -> UInt64 {
        var req = request
        let step = compiled[conn.target][req.iteration.journey][req.iteration.step]
        conn.parser.captureBody = step.needsBody
        conn.parser.expectNoBody = step.method == "HEAD"
        let bytes = step.bytes(req.iteration.vars)
        req.sentNanos = Self.now()
        conn.state.write(req)
        conn.send(bytes)
        return req.sentNanos
    }

    private func connect(for request: InFlightRequest) {
        let conn = ClientConnection(for: request, engine: self)
        conn.parser.captureServerTiming = plan.captureServerTiming
        open[ObjectIdentifier(conn)] = conn
        peakConnections = max(peakConnections, open.count)
        // Failures are reported from the loop, never from inside this call: its caller may be ending an iteration.
        guard let address = addresses[conn.target] else {
            return loop.schedule(at: 0) { self.connectFailed(conn, as: .connectOther) }
        }
        if let failed = conn.connect(to: address) {
            return loop.schedule(at: 0) { self.connectFailed(conn, as: failed) }
        }
        loop.schedule(in: UInt64(plan.connectTimeoutSeconds * 1e9)) {
            if conn.connecting && conn.isOpen { self.connectFailed(conn, as: .connectTimeout) }
        }
    }

    // MARK: Events from connections

    func connected(_ conn: ClientConnection) {
        switch conn.state.connected() {
        case .write(let req): write(req, on: conn)
        case .close: release(conn)
        }
    }

    func connectFailed(_ conn: ClientConnection, as cls: ErrorClass) {
        conn.close()
        open[ObjectIdentifier(conn)] = nil
        if let req = conn.state.close() { recordTransportError(req, cls) }
        connectWaiting()
    }

    func takeReadBuffer() -> ByteBuffer {
        defer { readBuffer = nil }
        return readBuffer ?? ByteBufferAllocator().buffer(capacity: 64 * 1024)
    }

    func returnReadBuffer(_ buffer: ByteBuffer) { readBuffer = buffer }

    func responseReceived(on conn: ClientConnection, status: Int, body: ByteBuffer?, keepAlive: Bool, at arrived: UInt64) {
        guard let (req, reuse) = conn.state.responseReceived(keepAlive: keepAlive, runFinished: lifecycle.finished) else { return }
        // Never before the send: a real clock stepped forward would make the stamp too early.
        let now = max(arrived, req.sentNanos)
        let it = req.iteration
        let step = journeys[it.journey][it.step]
        // The sweep finds overdue requests only every 100 ms: one answered after its timeout but before the sweep
        // is a timeout all the same (as in wrk), or a timeout under 100 ms would not hold.
        let late = now &- req.sentNanos > timeoutNanos
        let passed = !late && step.expect.contains(status)
        if late {
            recorder.transportError(step.endpoint, .timeout)
        } else {
            recorder.response(step.endpoint, status: status, latency: now &- min(req.dueNanos, req.sentNanos), service: now &- req.sentNanos, passed: passed)
            if let t = conn.parser.serverTiming { recorder.stages(step.endpoint, t) }
        }
        if reuse { self.reuse(conn) } else { release(conn) }
        guard passed else { it.failed = true; endIteration(it, at: now); return }
        if step.needsBody { Self.extract(step.extract, from: body, into: &it.vars) }
        it.step += 1
        if it.step == journeys[it.journey].count, let next = it.afterSetup {
            it.journey = next
            it.step = 0
            it.afterSetup = nil
        }
        guard it.step < journeys[it.journey].count, !lifecycle.finished else { endIteration(it, at: now); return }
        let think = plan.think.sampleNanos(using: &rng)
        if think == 0 { send(it, due: now) }
        else { loop.schedule(at: now + think) { self.send(it, due: now + think) } }
    }

    func transportFailed(on conn: ClientConnection, as cls: ErrorClass) {
        let wasOpen = !conn.state.isClosed
        if let req = conn.state.close() { recordTransportError(req, cls) }
        if wasOpen { release(conn) }
    }

    func connectionClosed(_ conn: ClientConnection) {
        let req = conn.state.close()
        conn.close()
        forget(conn)
        if let req { recordTransportError(req, .reset) }
    }

    /// Closes a connection the engine is done with (its state already closed).
    private func release(_ conn: ClientConnection) {
        forget(conn)
        conn.close()
    }

    private func forget(_ conn: ClientConnection) {
        guard open.removeValue(forKey: ObjectIdentifier(conn)) != nil else { return }
        if let i = idle[conn.target].firstIndex(where: { $0 === conn }) { idle[conn.target].remove(at: i) }
        connectWaiting()
    }

    private func recordTransportError(_ req: InFlightRequest, _ cls: ErrorClass) {
        let it = req.iteration
        recorder.transportError(journeys[it.journey][it.step].endpoint, cls)
        it.failed = true
        endIteration(it, at: Self.now())
    }

    static func extract(_ rules: [(variable: String, key: String)], from body: ByteBuffer?, into vars: inout [String: String]) {
        guard let body, let obj = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any] else { return }
        for r in rules {
            switch obj[r.key] {
            case let s as String: vars[r.variable] = s
            case let n as NSNumber: vars[r.variable] = n.stringValue
            default: break
            }
        }
    }

    // MARK: Timers

    private func scheduleInterval() {
        let at = t0 + UInt64(recorder.intervalIndex + 1) * 1_000_000_000
        loop.schedule(at: at) {
            guard !self.lifecycle.finished else { return }
            self.emitInterval(at: at, final: false)
            self.scheduleInterval()
        }
    }

    private func emitInterval(at now: UInt64, final: Bool) {
        let start = t0 + UInt64(recorder.intervalIndex) * 1_000_000_000
        guard now > start || !final else { sinks?.shardFinished(shard); return }
        let (index, interval) = recorder.takeInterval()
        let snap = IntervalSnapshot(
            index: index, startNanos: start - t0, lengthNanos: now - start, latency: interval.latency,
            requests: interval.requests, ok: interval.ok, errors: interval.errors, dropped: interval.dropped,
            inFlight: inFlight, connections: open.count, plannedNanos: plan.workload.durationNanos, endpoints: interval.endpoints)
        sinks?.add(snap, shard: shard)
        if final { sinks?.shardFinished(shard) }
    }

    /// Every 100 ms: request timeouts, and the closed model's VU ramp.
    private func scheduleSweep() {
        loop.schedule(in: 100_000_000) {
            guard !self.lifecycle.finished else { return }
            let now = Self.now()
            let limit = self.timeoutNanos
            for conn in self.open.values where conn.state.overdue(now: now, limit: limit) {
                self.transportFailed(on: conn, as: .timeout)
            }
            for t in self.waiting.indices {
                // Due times may lie ahead (the send window), so no wrapping subtraction.
                while let first = self.waiting[t].first, now > first.dueNanos + limit {
                    _ = self.waiting[t].pop()
                    self.recordTransportError(first, .timeout)
                }
            }
            self.adjustVUs()
            self.scheduleSweep()
        }
    }
}
