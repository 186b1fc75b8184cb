import Foundation
import Testing
import Harness
import Environment

extension SharedMachine {
/// schemathesis (PyPI, written by others; `make setup` installs it into .build/venv) against docs/openapi.yaml
/// and a live campaignd: every check over every operation, a bounded and seeded count of examples. The full
/// count is Benchmarks/api-fuzz.py.
///
/// The segment rule tree sets the bound: schemathesis's coverage phase writes about 12,700 cases for each of the
/// two operations that take one (2½ min here, most of this test's time). Both share one parser, so only the preview
/// walks every valid shape, and the preview and the save get 200 and 50 random cases, valid and not; the benchmark
/// walks every invalid shape too. The limiter is off, as in the benchmark: at schemathesis's pace it answered 44%
/// of the cases 429, before any handler saw them.
@Suite struct APIFuzzTests {
    static let schemathesis = FileManager.default.currentDirectoryPath + "/.build/venv/bin/schemathesis"

    static let segmentRules = """
        [[operations]]
        include-name = "POST /api/segments/preview"
        phases.coverage.generation.mode = "positive"
        phases.fuzzing.generation.max-examples = 200

        [[operations]]
        include-name = "POST /api/segments"
        phases.coverage.enabled = false
        phases.fuzzing.generation.max-examples = 50

        """

    /// One schemathesis run, with `config` (schemathesis.toml text) from a temporary file.
    func fuzz(_ stack: Stack, authorization: String, _ scope: [String], config: String = segmentRules) throws -> (status: Int32, output: String) {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("schemathesis-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).toml").path
        try config.write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        // The hooks stand for what the document says in words but its schema cannot (Benchmarks/schemathesis_hooks.py).
        let hooks = "SCHEMATHESIS_HOOKS=" + FileManager.default.currentDirectoryPath + "/Benchmarks/schemathesis_hooks.py"
        return try ManagedProcess.runToEnd("/usr/bin/env", [hooks, Self.schemathesis, "--config-file", file,
            "run", "docs/openapi.yaml", "-u", stack.endpoints.target, "-H", "Authorization: \(authorization)", "-n", "10",
            "--checks", "all", "--generation-allow-x00", "false", "--seed", "1", "--generation-deterministic",
        ] + scope)
    }

    @Test func schemathesisFindsNoServerErrorAndNoContradiction() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.schemathesis), "schemathesis is missing: run `make setup`")
        var options = Integration.stackOptions()
        options.campaigndArguments += ["--rate-limit=0"]
        let stack = try Stack.up(options)
        defer { stack.down() }
        try Integration.seed(stack, contacts: 50)
        let api = try await APIClient.login(stack.endpoints.target, "user2@tenant1.example")
        // Logout would end the run's own session (CampaignAPITests covers it); the webhook has its own secret.
        let session = try fuzz(stack, authorization: "Bearer \(api.token!)", ["--exclude-path", "/api/logout", "--exclude-path", "/api/webhooks/provider"])
        #expect(session.status == 0, "\(session.output.suffix(4000))")
        let webhook = try fuzz(stack, authorization: "Bearer \(EngagementPlan().webhookSecret)", ["--include-path", "/api/webhooks/provider"])
        #expect(webhook.status == 0, "\(webhook.output.suffix(4000))")
        #expect(session.output.contains(" passed") && !session.output.contains("Server error"))

        // Random ids reach only 404s: schemathesis warned that 6 operations "repeatedly returned 404". One real
        // draft, pinned as {id}, takes the edit, send, pause, resume and stats routes past the lookup. DELETE is left
        // out so that the rest keep their campaign.
        let id = try await api.call("POST", "/api/campaigns", json: ["name": "fuzzed", "subject": "Fuzzed", "template": "Hi {{first_name}}"]).json["id"] as! Int
        let routes = #"^/api/campaigns/\{id\}"#
        // A TOML literal string ('…') takes the pattern as it is, with no escapes.
        let pin = "[[operations]]\ninclude-path-regex = '\(routes)'\nparameters = { id = \(id) }\n"
        let existing = try fuzz(stack, authorization: "Bearer \(api.token!)", ["--include-path-regex", routes, "--exclude-method", "DELETE"], config: pin)
        #expect(existing.status == 0, "\(existing.output.suffix(4000))")
        #expect(!existing.output.contains("Missing test data"), "\(existing.output.suffix(2000))")
    }
}
}
