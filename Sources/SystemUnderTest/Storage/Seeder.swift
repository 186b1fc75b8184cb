import Foundation

/// Synthetic data for benchmarks: tenants, users with bcrypt passwords, and contacts loaded through COPY.
///
/// Users are `user<U>@tenant<T>.example` with one shared password, so a harness can log in as any of them.
/// Contacts are reproducible (row n is always the same person) and look like a real list: names, companies,
/// sources, 0-3 tags, custom fields, signup dates over two years, and 5% unsubscribed or bounced.
public struct Seeder: Sendable {
    public struct Plan: Sendable {
        public var tenants = 2
        public var usersPerTenant = 50
        /// The total number of contacts wanted; only the missing ones are added.
        public var contacts = 1000
        public var password = "mailstorm-pass"
        /// bcrypt cost (pgcrypto gen_salt('bf', cost)); 4 is bcrypt's minimum.
        public var kdfCost = 6
        /// Every contact subscribed, so a send reaches exactly `contacts` recipients.
        public var allActive = false
        /// Draft campaigns each tenant already has, oldest first; only the missing ones are added.
        public var campaignsPerTenant = 0
        public init() {}
    }

    let db: Database
    public init(db: Database) { self.db = db }

    /// The history is there so the planner's statistics see how campaigns spread over tenants.
    static let historySQL = """
        INSERT INTO campaigns (tenant_id, owner_id, name, subject, created_at)
        SELECT t.id, o.id, 'history ' || g, 'Seeded history ' || g, now() - ($1::int + 1 - g) * interval '1 day'
        FROM tenants t
        CROSS JOIN LATERAL (SELECT min(id) AS id FROM users WHERE tenant_id = t.id) o
        CROSS JOIN generate_series(1, $1::int) g
        WHERE t.name ~ '^tenant[0-9]+$' AND substring(t.name from 7)::int <= $2::int
          AND g > (SELECT count(*) FROM campaigns c WHERE c.tenant_id = t.id AND c.name LIKE 'history %')
        ORDER BY t.id, g
        """

    static let copySQL = "COPY contacts (tenant_id, email, first_name, last_name, company, source, status, tags, custom_fields, created_at) FROM STDIN"

    /// Creates what is missing and returns the users' emails; `progress(done, total)` follows the contacts.
    public func run(_ plan: Plan, progress: @escaping @Sendable (Int, Int) -> Void = { _, _ in }) async throws -> [String] {
        let (tenantIDs, existing) = try await db.transaction { conn -> ([Int64], Int) in
            _ = try conn.query("""
                INSERT INTO tenants (name) SELECT 'tenant' || g FROM generate_series(1, $1::int) g ON CONFLICT (name) DO NOTHING
                """, [String(plan.tenants)])
            _ = try conn.query("""
                INSERT INTO users (tenant_id, email, password_hash)
                SELECT t.id, 'user' || u || '@' || t.name || '.example', crypt($2, gen_salt('bf', $3::int))
                FROM tenants t CROSS JOIN generate_series(1, $1::int) u
                WHERE t.name ~ '^tenant[0-9]+$' AND substring(t.name from 7)::int <= $4::int
                ON CONFLICT (email) DO NOTHING
                """, [String(plan.usersPerTenant), plan.password, String(plan.kdfCost), String(plan.tenants)])
            let ids = try conn.query("SELECT id FROM tenants WHERE name ~ '^tenant[0-9]+$' AND substring(name from 7)::int <= $1::int ORDER BY id",
                                     [String(plan.tenants)]).rows.compactMap { $0[0].flatMap(Int64.init) }
            if plan.campaignsPerTenant > 0 {
                _ = try conn.query(Self.historySQL, [String(plan.campaignsPerTenant), String(plan.tenants)])
            }
            let n = try conn.query("SELECT count(*) FROM contacts").rows[0][0].flatMap(Int.init) ?? 0
            return (ids, n)
        }
        // A fresh stack's tables have no statistics until autovacuum's first round, a minute in; until then the
        // planner sorted a tenant's whole campaign list for every page.
        _ = try await db.query("ANALYZE tenants, users, campaigns")
        let missing = plan.contacts - existing
        if missing > 0 {
            // Several COPY streams, one per pool connection: index upkeep, not parsing, bounds one stream, and
            // each stream is a server process of its own.
            let streams = max(1, min(db.usage.size, missing / 50_000))
            let done = Tally()
            try await withThrowingTaskGroup(of: Void.self) { g in
                for k in 0..<streams {
                    let first = existing + 1 + missing * k / streams, last = existing + 1 + missing * (k + 1) / streams
                    g.addTask {
                        try await db.withConnection { conn in
                            let gen = ContactGenerator(tenants: tenantIDs, first: first, count: last - first, allActive: plan.allActive) { n in
                                done.add(UInt64(n))
                                progress(Int(done.load()), missing)
                            }
                            _ = try conn.copy(Self.copySQL, chunks: gen)
                        }
                    }
                }
                try await g.waitForAll()
            }
            // Indexed for email search here, so that a run starts with none of them left to the background.
            try await ContactSearchIndexer(db: db).catchUp()
            _ = try await db.query("ANALYZE contacts")
        }
        return try await db.query("SELECT email FROM users ORDER BY id").rows.compactMap { $0[0] }
    }
}

/// Generates contact rows as COPY text, in chunks of `chunkRows`.
struct ContactGenerator: Sequence, IteratorProtocol {
    let tenants: [Int64]
    var cursor: Int
    let end: Int
    let chunkRows = 20_000
    let allActive: Bool
    /// Told the rows of each chunk as it is handed to COPY.
    let progress: @Sendable (Int) -> Void

    init(tenants: [Int64], first: Int, count: Int, allActive: Bool = false, progress: @escaping @Sendable (Int) -> Void) {
        self.tenants = tenants
        self.allActive = allActive
        cursor = first
        end = first + count
        self.progress = progress
    }

    static let firstNames = ["James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth",
                             "Aisha", "Wei", "Sofia", "Mateo", "Yuki", "Olga", "Kwame", "Priya", "Lars", "Fatima"]
    static let lastNames = ["Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Martinez", "Lopez",
                            "Chen", "Kim", "Nakamura", "Okafor", "Patel", "Novak", "Schmidt", "Rossi", "Silva", "Haddad"]
    static let companies = ["Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Tyrell", "Cyberdyne", "Soylent",
                            "Vandelay", "Wonka", "Gringotts", "Oscorp", "Aperture", "Massive Dynamic", "Pied Piper", "Dunder Mifflin"]
    static let domains = ["gmail.com", "yahoo.com", "outlook.com", "proton.me", "icloud.com", "example.org"]
    static let sources = ["import", "signup", "api", "event", "referral"]
    static let tags = ["newsletter", "customer", "trial", "vip", "churned", "beta", "webinar", "partner", "lead", "enterprise",
                       "smb", "eu", "us", "apac", "mobile", "desktop", "q1", "q2", "q3", "q4"]
    static let plans = ["free", "pro", "team", "enterprise"]
    static let countries = ["US", "DE", "FR", "GB", "JP", "BR", "IN", "NG", "CA", "AU"]

    /// SplitMix64: row n's values depend only on n, so the same seed gives the same data.
    struct Mix {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func pick<T>(_ a: [T]) -> T { a[Int(next() % UInt64(a.count))] }
    }

    static let epoch = Int(Date().timeIntervalSince1970)

    mutating func next() -> String? {
        guard cursor < end else { return nil }
        var out = ""
        out.reserveCapacity(chunkRows * 190)
        let stop = Swift.min(cursor + chunkRows, end)
        for n in cursor..<stop {
            var r = Mix(state: UInt64(n))
            let first = r.pick(Self.firstNames), last = r.pick(Self.lastNames), company = r.pick(Self.companies)
            out += String(tenants[n % tenants.count])
            out += "\t"
            out += first.lowercased(); out += "."; out += last.lowercased(); out += String(n); out += "@"; out += r.pick(Self.domains)
            out += "\t"; out += first; out += "\t"; out += last; out += "\t"; out += company
            out += "\t"; out += r.pick(Self.sources)
            let s = r.next() % 100
            out += s < 95 || allActive ? "\tactive\t{" : (s < 98 ? "\tunsubscribed\t{" : "\tbounced\t{")
            let nt = Int(r.next() % 4)
            for t in 0..<nt {
                if t > 0 { out += "," }
                out += r.pick(Self.tags)
            }
            out += "}\t{\"plan\": \""; out += r.pick(Self.plans); out += "\", \"country\": \""; out += r.pick(Self.countries)
            out += "\", \"score\": "; out += String(r.next() % 100); out += "}\t"
            // Signup within the last two years.
            Self.appendTimestamp(Self.epoch - Int(r.next() % (2 * 365 * 86_400)), to: &out)
            out += "\n"
        }
        progress(stop - cursor)
        cursor = stop
        return out
    }

    /// "YYYY-MM-DD HH:MM:SS+00" for a Unix time, without a DateFormatter (which costs microseconds per row).
    static func appendTimestamp(_ t: Int, to out: inout String) {
        let days = t / 86_400, secs = t % 86_400
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468
        let era = z / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        func two(_ v: Int) { if v < 10 { out += "0" }; out += String(v) }
        out += String(y); out += "-"; two(m); out += "-"; two(d); out += " "
        two(secs / 3600); out += ":"; two(secs / 60 % 60); out += ":"; two(secs % 60); out += "+00"
    }
}
