import Testing
@testable import Harness

@Suite struct TemplateAndTargetTests {
    @Test func templatesRenderVariables() {
        let t = Template(#"{"email":"{{email}}","n":{{ iteration }}}"#)
        #expect(!t.isStatic)
        #expect(t.variables == ["email", "iteration"])
        #expect(t.render(["email": "a@b", "iteration": "7"]) == #"{"email":"a@b","n":7}"#)
        #expect(Template("/plain").isStatic)
        #expect(Template("unclosed {{x").render([:]) == "unclosed {{x")
    }

    @Test func parsesTargets() throws {
        let t = try TargetAddress(url: "http://127.0.0.1:8080/base")
        #expect(t.host == "127.0.0.1" && t.port == 8080 && t.path == "/base")
        #expect(try TargetAddress(url: "http://localhost").port == 80)
        #expect(try TargetAddress(url: "http://[::1]:9000/").hostHeader == "[::1]:9000")
    }

    @Test(arguments: ["ftp://x", "https://127.0.0.1", "http://:80", "http://h:99999", "http://h:abc"])
    func rejectsBadTargetsNamingThem(url: String) {
        #expect {
            _ = try TargetAddress(url: url)
        } throws: { error in
            (error as? UsageError)?.description.contains(url) == true
        }
    }

    @Test func staticStepsAreEncodedOnce() {
        let target = TargetAddress(host: "127.0.0.1", port: 80)
        let s = CompiledStep(Step(path: "/x"), endpoint: 0, target: target)
        #expect(s.staticBytes != nil)
        #expect(String(buffer: s.bytes([:])) == "GET /x HTTP/1.1\r\nHost: 127.0.0.1:80\r\n\r\n")
        let d = CompiledStep(Step(method: "POST", path: "/y", body: #"{"a":"{{v}}"}"#), endpoint: 0, target: target)
        #expect(d.staticBytes == nil)
        #expect(String(buffer: d.bytes(["v": "1"])).hasSuffix("Content-Length: 9\r\n\r\n{\"a\":\"1\"}"))
    }
}

/// A variable's value (from a server's reply or a file's rows) cannot end the request line or a header.
@Suite struct RequestInjectionTests {
    @Test func crAndLfInVariablesNeverReachTheWire() {
        #expect(CompiledStep.oneLine("abc") == "abc")
        #expect(CompiledStep.oneLine("tok\r\nX-Evil: 1") == "tokX-Evil: 1")
        #expect(CompiledStep.oneLine("a\nb\rc") == "abc")
    }
}
