import NIOCore

/// A step turned into bytes once: a fully static request is encoded a single time and reused for every send.
/// A class: the send and receive paths look a step up for every request, and a struct of ten reference-counted
/// fields was copied field by field each time.
final class CompiledStep {
    let endpoint: Int
    let method: String
    let path: Template
    let headers: [(String, Template)]
    let body: Template?
    let extract: [(variable: String, key: String)]
    let expect: ClosedRange<Int>
    let staticBytes: ByteBuffer?
    let hostHeader: String
    let pathPrefix: String

    init(_ step: Step, endpoint: Int, target: TargetAddress) {
        self.endpoint = endpoint
        method = step.method
        path = Template(step.path)
        headers = step.headers.map { ($0.0, Template($0.1)) }
        body = step.body.map(Template.init)
        extract = step.extract
        expect = step.expectStatus
        hostHeader = target.hostHeader
        pathPrefix = target.path
        let isStatic = path.isStatic && headers.allSatisfy { $0.1.isStatic } && (body?.isStatic ?? true)
        staticBytes = isStatic ? Self.encode(method, pathPrefix + step.path, hostHeader, step.headers, step.body) : nil
    }

    var needsBody: Bool { !extract.isEmpty }

    /// The request's bytes for an iteration's variables.
    func bytes(_ vars: [String: String]) -> ByteBuffer {
        if let s = staticBytes { return s }
        return Self.encode(method, Self.oneLine(pathPrefix + path.render(vars)), hostHeader, headers.map { ($0.0, Self.oneLine($0.1.render(vars))) },
                           body?.render(vars))
    }

    /// `s` without CR and LF: a variable (a value a server sent back, a row of a file) must not end the request
    /// line or a header and start another.
    static func oneLine(_ s: String) -> String {
        guard s.utf8.contains(where: { $0 == 13 || $0 == 10 }) else { return s }
        var out = String.UnicodeScalarView()
        out.append(contentsOf: s.unicodeScalars.lazy.filter { $0 != "\r" && $0 != "\n" })
        return String(out)
    }

    static func encode(_ method: String, _ path: String, _ host: String, _ headers: [(String, String)], _ body: String?) -> ByteBuffer {
        var head = "\(method) \(path.isEmpty ? "/" : path) HTTP/1.1\r\nHost: \(host)\r\n"
        var hasType = false
        for (k, v) in headers {
            head += "\(k): \(v)\r\n"
            if k.lowercased() == "content-type" { hasType = true }
        }
        if let body {
            if !hasType { head += "Content-Type: application/json\r\n" }
            head += "Content-Length: \(body.utf8.count)\r\n\r\n" + body
        } else {
            head += "\r\n"
        }
        var buf = ByteBufferAllocator().buffer(capacity: head.utf8.count)
        buf.writeString(head)
        return buf
    }
}

/// One run of a journey by the engine: which step it is on and the variables gathered so far.
/// Confined to the engine's event loop like the engine itself; `@unchecked` only so loop timers may capture it.
final class Iteration: @unchecked Sendable {
    var journey: Int
    var step = 0
    var vars: [String: String]
    /// The virtual user running it (closed model), or -1.
    let vu: Int
    /// Which of the plan's targets all its steps go to: a session stays on one instance.
    let target: Int
    var failed = false
    /// The session it runs in (plans with sessions), and the journey to run once the session's setup is done.
    var session: SessionState?
    var afterSetup: Int?

    init(journey: Int, vars: [String: String], vu: Int, target: Int = 0) {
        self.journey = journey
        self.vars = vars
        self.vu = vu
        self.target = target
    }
}

/// An iteration that has arrived and been drawn, before it is sent: it may wait for a free session.
struct PendingIteration {
    var journey: Int
    var number: Int
    var target: Int
    var vu: Int
    /// Its intended send time, from which its latency counts however long it waits.
    var due: UInt64
}

/// A session's variables and how many more iterations it serves; confined to the engine's loop.
final class SessionState: @unchecked Sendable {
    var vars: [String: String]
    var remaining: Int
    init(vars: [String: String], remaining: Int) {
        self.vars = vars
        self.remaining = remaining
    }
}
