import Foundation
import Testing
import Harness
import Environment
@testable import SystemUnderTest

extension SharedMachine {
/// campaignd's SMTP client against postfix's smtp-sink, a server no one here wrote: pipelined and one command at a
/// time, through refusals, a server that hangs up, and one that says goodbye.
@Suite struct SMTPInteropTests {
    /// smtp-sink on a free port with `options`; each accepted message is dumped into `dumps`.
    final class PostfixSink {
        let process: ManagedProcess
        let port: Int
        let dumps: String

        init(_ options: [String]) throws {
            dumps = NSTemporaryDirectory() + "smtp-sink-" + UUID().uuidString
            try FileManager.default.createDirectory(atPath: dumps, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o777])
            port = try FreePort.pick()
            // It refuses to run as root. Its own -u would drop privileges after the parent-death signal is set, which
            // clears it (an orphan could outlive the tests); setpriv drops them first. postgres is a user the stack needs anyway.
            process = try ManagedProcess(name: "smtp-sink", executable: "/usr/sbin/smtp-sink",
                                         arguments: ["-d", dumps + "/%M.", "-t", "5"] + options + ["127.0.0.1:\(port)", "64"],
                                         logPath: dumps + ".log", asUser: "postgres")
            try process.waitListening(port)
        }

        var url: String { "smtp://127.0.0.1:\(port)" }

        /// The messages it accepted, as dumped (its dump undoes the dot-stuffing).
        func accepted() -> [String] {
            let files = (try? FileManager.default.contentsOfDirectory(atPath: dumps)) ?? []
            return files.compactMap { try? String(contentsOfFile: dumps + "/" + $0, encoding: .utf8) }
        }

        func stop() {
            process.stop()
            try? FileManager.default.removeItem(atPath: dumps)
            try? FileManager.default.removeItem(atPath: dumps + ".log")
        }
    }

    static func messages(_ n: Int, html: String = "<p>Hello</p>\n.a line that starts with a dot\n.\nend") -> [OutgoingMessage] {
        (0..<n).map { OutgoingMessage(identity: MessageIdentity(campaign: 7, contact: Int64($0)), to: "r\($0)@example.org", subject: "Hi",
                                      html: html, enqueuedMs: 1, openURL: "", clickURL: nil) }
    }

    /// Offered PIPELINING, a message costs one round trip; each arrives whole, its leading dots restored.
    @Test func pipelinedDeliveryArrivesIntact() throws {
        let sink = try PostfixSink([])
        defer { sink.stop() }
        let t = try SMTPTransport(url: sink.url, from: "campaigns@campaignd.mailstorm")
        let ms = Self.messages(120)
        var results: [DeliveryResult] = []
        for start in stride(from: 0, to: ms.count, by: t.batchSize) { results += t.deliver(Array(ms[start..<min(start + t.batchSize, ms.count)])) }
        #expect(results == Array(repeating: .sent, count: ms.count))
        // One per message, plus one for each batch's last body.
        #expect(t.roundTrips == ms.count + 3)
        let got = sink.accepted()
        #expect(got.count == ms.count)
        for m in ms {
            let dump = got.first { $0.contains("Message-ID: \(m.identity.messageID)") }
            #expect(dump?.contains("X-Rcpt-Args: <\(m.to)>") == true && dump?.contains("X-Mail-Args: <campaigns@campaignd.mailstorm> BODY=8BITMIME") == true)
            #expect(dump?.contains("\n\n<p>Hello</p>\n.a line that starts with a dot\n.\nend\n") == true, "\(dump ?? "missing")")
        }
    }

    /// Without PIPELINING (smtp-sink -p), one command at a time: four round trips a message.
    @Test func withoutPipeliningOneCommandAtATime() throws {
        let sink = try PostfixSink(["-p"])
        defer { sink.stop() }
        let t = try SMTPTransport(url: sink.url, from: "f@campaignd.mailstorm")
        #expect(t.deliver(Self.messages(10)) == Array(repeating: .sent, count: 10))
        #expect(t.roundTrips == 40)
        #expect(sink.accepted().count == 10)
    }

    /// Refused senders and recipients bounce (5xx) or are tried again (4xx), and their content is never sent;
    /// refused content likewise.
    @Test(arguments: [("-f", "rcpt", true), ("-r", "rcpt", false), ("-f", ".", true), ("-r", ".", false), ("-f", "mail", true)])
    func refusalsMapToBouncesAndRetries(flag: String, command: String, permanent: Bool) throws {
        let sink = try PostfixSink([flag, command])
        defer { sink.stop() }
        let t = try SMTPTransport(url: sink.url, from: "f@campaignd.mailstorm")
        let results = t.deliver(Self.messages(6))
        for r in results {
            switch r {
            case .permanent(let e): #expect(permanent && e.hasPrefix("smtp 5"), "\(e)")
            case .transient(let e): #expect(!permanent && e.hasPrefix("smtp 4"), "\(e)")
            case .sent: Issue.record("\(flag) \(command): sent")
            }
        }
        #expect(results.count == 6)
        if command != "." { #expect(!sink.accepted().contains { $0.contains("Message-ID:") }) }
    }

    /// A server that hangs up after each message's content (no reply) or says 421 at MAIL: every message is
    /// tried again later, none is called sent, and the call returns.
    @Test(arguments: [["-q", "."], ["-Q", "mail"], ["-Q", "."]])
    func hangUpsAreRetriedNotLost(options: [String]) throws {
        let sink = try PostfixSink(options)
        defer { sink.stop() }
        let t = try SMTPTransport(url: sink.url, from: "f@campaignd.mailstorm")
        let results = t.deliver(Self.messages(5))
        #expect(results.count == 5)
        #expect(results.allSatisfy { if case .transient = $0 { true } else { false } }, "\(results)")
    }

    /// Nobody listening: worth another try later, except an address that is never worth one.
    @Test func nobodyListeningIsTransient() throws {
        let t = try SMTPTransport(url: "smtp://127.0.0.1:\(try FreePort.pick())", from: "f@x")
        var ms = Self.messages(3)
        ms[1].to = "bad\r\naddress"
        let results = t.deliver(ms)
        #expect(results[1] == .permanent("invalid recipient address"))
        #expect([results[0], results[2]].allSatisfy { if case .transient(let e) = $0 { e.contains("refused") } else { false } }, "\(results)")
    }

    /// A recipient address that would smuggle a command into the session never reaches the server.
    @Test func addressesCannotInjectCommands() throws {
        let sink = try PostfixSink([])
        defer { sink.stop() }
        let t = try SMTPTransport(url: sink.url, from: "f@campaignd.mailstorm")
        var ms = Self.messages(3)
        ms[1].to = "x@y.z>\r\nRCPT TO:<victim@example.org"
        #expect(t.deliver(ms) == [.sent, .permanent("invalid recipient address"), .sent])
        #expect(sink.accepted().count == 2 && !sink.accepted().contains { $0.contains("victim") })
    }
}
}
