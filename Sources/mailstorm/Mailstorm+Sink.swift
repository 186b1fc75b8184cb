import ArgumentParser
import Foundation
import Harness
import Environment
import Reports
import Scenarios

extension MailTransportKind: ExpressibleByArgument {}

/// Fault and engagement flags, shared by `sink` and `run send`.
struct SinkOptions: ParsableArguments {
    @Option(help: "Latency added to each reply, in ms: \"5\" or a uniform range \"1-20\".") var sinkLatency: String?
    @Option(help: "Fraction of messages answered with a transient failure (SMTP 451).") var transientRate = 0.0
    @Option(help: "Fraction of messages refused for good (SMTP 550): bounces.") var permanentRate = 0.0
    @Option(help: "Fraction of messages whose connection is dropped instead of answered.") var dropRate = 0.0
    @Option(help: "HTTP provider: refuse every send request as a whole with this status (401, 503); 0: never.") var refuseStatus = 0
    @Option(help: "Fraction of delivered messages whose open pixel is fetched.") var openRate = 0.0
    @Option(help: "Fraction of delivered messages whose first link is followed.") var clickRate = 0.0
    @Flag(help: "Send a `delivered` provider webhook for each accepted message.") var webhooks = false

    func plans() throws -> (FaultPlan, EngagementPlan) {
        var f = FaultPlan()
        if let l = sinkLatency {
            let parts = l.split(separator: "-").map { Double($0.trimmingCharacters(in: .whitespaces)) }
            guard (1...2).contains(parts.count), parts.allSatisfy({ $0 != nil }) else {
                throw ExitStatus.fail("--sink-latency '\(l)': expected MS or MIN-MAX", ExitStatus.usage)
            }
            f.latencyMinMs = parts[0]!
            f.latencyMaxMs = parts.last!!
        }
        f.transientRate = transientRate
        f.permanentRate = permanentRate
        f.dropRate = dropRate
        f.refuseStatus = refuseStatus
        do { try f.validate() } catch { throw ExitStatus.fail("sink faults: \(error)", ExitStatus.usage) }
        var e = EngagementPlan()
        guard (0...1).contains(openRate), (0...1).contains(clickRate) else { throw ExitStatus.fail("--open-rate and --click-rate must be between 0 and 1", ExitStatus.usage) }
        e.openRate = openRate
        e.clickRate = clickRate
        e.webhooks = webhooks
        return (f, e)
    }
}

extension Mailstorm {
    struct SinkCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "sink", abstract: "Run the mail sink (SMTP and an HTTP provider API) until Ctrl-C.",
            discussion: "GET /stats counts what arrived; POST /faults changes the fault plan at run time; POST /reset clears the counts.")
        @Option(help: "Address to bind (0.0.0.0 in a container).") var host = "127.0.0.1"
        @Option(help: "SMTP port (0: any free one).") var smtpPort = 2525
        @Option(help: "HTTP port: provider API and /stats (0: any free one).") var httpPort = 8025
        @Option(help: "campaignd's base URL, for webhooks.") var campaignd: String?
        @Option(help: "The secret webhooks carry (campaignd's --webhook-secret); default CAMPAIGND_WEBHOOK_SECRET.") var webhookSecret: String?
        @OptionGroup var sink: SinkOptions

        func validate() throws {
            // NIO would bind 99999 as 99999 mod 65536: a port nobody asked for.
            guard (0...65_535).contains(smtpPort), (0...65_535).contains(httpPort) else { throw ValidationError("--smtp-port and --http-port must be 0 to 65535") }
        }

        func run() async throws {
            var (faults, engagement) = try sink.plans()
            engagement.campaigndURL = campaignd
            if let secret = webhookSecret ?? ProcessInfo.processInfo.environment["CAMPAIGND_WEBHOOK_SECRET"] { engagement.webhookSecret = secret }
            let s: MailSink
            do { s = try MailSink(host: host, smtpPort: smtpPort, httpPort: httpPort, faults: faults, engagement: engagement) } catch {
                throw ExitStatus.fail("\(error)", ExitStatus.infrastructure)
            }
            FileHandle.standardOutput.write(Data("sink listening smtp=\(s.smtpURL) http=http://127.0.0.1:\(s.httpPort)\n".utf8))
            let stopped = RunControl()
            let trap = SignalTrap { _ in stopped.interrupt() }
            while !stopped.isInterrupted { try await Task.sleep(for: .milliseconds(200)) }
            s.stop()
            _ = trap
        }
    }

    struct SeedCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "seed", abstract: "Load synthetic tenants, users and contacts into a campaignd database (through COPY).")
        @Option(help: "PostgreSQL URL of the campaignd database.") var databaseURL: String
        @Option(help: "Contacts wanted in all (only the missing ones are added).") var contacts = 10_000
        @Option(help: "Tenants (workspaces).") var tenants = 2
        @Option(help: "Users per tenant.") var usersPerTenant = 50
        @Option(help: "Draft campaigns each tenant already has (the scenarios seed 20).") var campaignsPerTenant = 0
        @Option(help: "campaignd binary.") var campaignd: String?

        func validate() throws {
            for (name, value, least) in [("--tenants", tenants, 1), ("--users-per-tenant", usersPerTenant, 1), ("--contacts", contacts, 0),
                                         ("--campaigns-per-tenant", campaignsPerTenant, 0)] where value < least {
                throw ValidationError("\(name) must be at least \(least), not \(value)")
            }
        }

        func run() async throws {
            let binary: String
            do { binary = try CampaignServer.locate(campaignd) } catch { throw ExitStatus.fail("\(error)", ExitStatus.usage) }
            // campaignd owns the schema and the generator; this is the harness's front door to it.
            let p = Process()
            p.executableURL = URL(fileURLWithPath: binary)
            p.arguments = SeedRequest(tenants: tenants, usersPerTenant: usersPerTenant, contacts: contacts, campaignsPerTenant: campaignsPerTenant)
                .campaigndArguments(databaseURL: databaseURL)
            p.standardOutput = FileHandle.nullDevice
            try p.run()
            p.waitUntilExit()
            guard p.terminationStatus == 0 else { throw ExitCode(p.terminationStatus) }
        }
    }
}
