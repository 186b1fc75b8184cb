import ArgumentParser
import Foundation
import SystemUnderTest

/// campaignd: the campaign platform that Mailstorm drives. This file only parses, wires and runs.
@main
struct Campaignd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "campaignd", abstract: "The email-campaign platform under test.",
        subcommands: [Serve.self, Migrate.self, Seed.self], defaultSubcommand: Serve.self)
}

struct StorageOptions: ParsableArguments {
    @Option(help: "PostgreSQL URL.") var databaseURL = "postgresql://postgres@127.0.0.1:5432/mailstorm"
    @Option(help: "Redis URL.") var redisURL = "redis://127.0.0.1:6379"
}

/// Exit codes shared with mailstorm: 2 bad configuration, 3 infrastructure unreachable.
func fail(_ message: String, code: Int32) -> ExitCode {
    FileHandle.standardError.write(Data("campaignd: \(message)\n".utf8))
    return ExitCode(code)
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run migrations and serve the HTTP API.")
    @OptionGroup var storage: StorageOptions
    @Option(help: "Address to bind.") var host = "127.0.0.1"
    @Option(help: "Port to bind; 0 picks a free one (printed on start).") var port = 8080
    @Option(help: "PostgreSQL connections (one thread each).") var dbPool = 16
    @Option(help: "Redis connections (one thread each).") var redisPool = 4
    @Option(help: "Add latency to a route, \"METHOD /path=MS\" (\"*=MS\" for all); repeatable.") var injectDelay: [String] = []

    func run() async throws {
        var config = CampaignConfig(databaseURL: storage.databaseURL, redisURL: storage.redisURL)
        config.host = host
        config.port = port
        config.dbPoolSize = dbPool
        config.redisPoolSize = redisPool
        config.injectDelays = injectDelay
        let app: CampaignApp
        do {
            _ = try InjectedDelays(injectDelay)
            app = try await CampaignApp.make(config)
        } catch let e as ConfigError {
            throw fail(e.description, code: 2)
        } catch let e as CacheError {
            throw fail(e.description, code: 2)
        } catch {
            throw fail("cannot start: \(error)", code: 3)
        }
        let server = try app.application { port in
            // Written straight to fd 1, unbuffered: the harness waits for this line.
            FileHandle.standardOutput.write(Data("campaignd listening on \(host):\(port)\n".utf8))
        }
        try await server.runService()
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending schema migrations and exit.")
    @OptionGroup var storage: StorageOptions

    func run() async throws {
        let db = Database(url: storage.databaseURL, size: 1)
        do {
            let applied = try await db.migrate()
            print(applied.isEmpty ? "schema up to date" : "applied migrations \(applied.map(String.init).joined(separator: ", "))")
        } catch {
            throw fail("migration failed: \(error)", code: 3)
        }
    }
}

struct Seed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create synthetic tenants, users and contacts.")
    @OptionGroup var storage: StorageOptions
    @Option(help: "Tenants.") var tenants = 2
    @Option(help: "Users per tenant.") var usersPerTenant = 5
    @Option(help: "Contacts, spread over the tenants.") var contacts = 1000
    @Option(help: "Every user's password.") var password = "mailstorm-pass"
    @Option(help: "bcrypt cost for the password hashes (4-12).") var kdfCost = 6

    func validate() throws {
        guard tenants >= 1 else { throw ValidationError("--tenants must be at least 1") }
        guard usersPerTenant >= 1 else { throw ValidationError("--users-per-tenant must be at least 1") }
        guard contacts >= 0 else { throw ValidationError("--contacts must not be negative") }
        guard (4...12).contains(kdfCost) else { throw ValidationError("--kdf-cost must be 4 to 12") }
    }

    func run() async throws {
        let db = Database(url: storage.databaseURL, size: 1)
        var plan = Seeder.Plan()
        plan.tenants = tenants
        plan.usersPerTenant = usersPerTenant
        plan.contacts = contacts
        plan.password = password
        plan.kdfCost = kdfCost
        do {
            _ = try await db.migrate()
            let users = try await Seeder(db: db).run(plan)
            // One email per line on stdout: the harness reads them as its user pool.
            print(users.joined(separator: "\n"))
        } catch {
            throw fail("seed failed: \(error)", code: 3)
        }
    }
}
