import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
import Harness
import Environment
@testable import Reports

/// One verdict, every output: each combination of KPIs, comparison and mode gives one outcome and exit code,
/// and the console, report.md, report.html (title and heading) and junit.xml all show that same value.
@Suite struct VerdictTests {
    static let kpiPass = Summary.KPIResult(name: "API p99 latency", threshold: 100, value: 10, unit: "ms", pass: true, source: "seed")
    static let kpiFail = Summary.KPIResult(name: "API p99 latency", threshold: 100, value: 120, unit: "ms", pass: false, source: "seed")

    static func comparison(_ level: Double) -> Comparison {
        ComparisonTests.compare(ComparisonTests.summary(level: level, seed: 2), ComparisonTests.summary(level: 10, seed: 1))
    }

    /// ±30% noise, 3 trials a side, a 60% shift: beyond the noise floor, but not significant at the family level.
    static let noisy = ComparisonTests.compare(ComparisonTests.summary(level: 16, trials: 3, noise: 0.3, seed: 5),
                                               ComparisonTests.summary(level: 10, trials: 3, noise: 0.3, seed: 6))

    @Test(arguments: [
        // kpis pass, comparison (level: nil none, 10 unchanged, 13 regressed, 7 improved, 0 inconclusive), advisory -> outcome, exit
        (true, nil as Double?, false, Verdict.Outcome.pass, Int32(0)),
        (false, nil, false, .fail, 1),
        (true, 10, false, .pass, 0),
        (true, 13, false, .fail, 1),
        (true, 13, true, .pass, 0),
        (false, 13, true, .fail, 1),
        (true, 7, false, .improved, 4),
        (true, 7, true, .pass, 0),
        (false, 7, false, .fail, 1),
        (true, 0, false, .inconclusive, 5),
        (true, 0, true, .pass, 0),
        (false, 0, false, .fail, 1),
    ])
    func everyCombinationHasOneOutcome(kpisPass: Bool, level: Double?, advisory: Bool, outcome: Verdict.Outcome, code: Int32) throws {
        let c = level.map { $0 == 0 ? Self.noisy : Self.comparison($0) }
        let v = Verdict.make(kpis: [kpisPass ? Self.kpiPass : Self.kpiFail], problems: [], interrupted: false, comparison: c, advisory: advisory)
        #expect(v.outcome == outcome && v.exitCode == code, "\(v)")
        if !kpisPass { #expect(v.reasons.first?.contains("API p99 latency") == true) }
        if let c, c.outcome != .unchanged { #expect(v.reasons.contains { $0.contains(c.outcome.rawValue) }, "\(v.reasons)") }

        var s = ComparisonTests.summary(level: 10)
        s.kpis = [kpisPass ? Self.kpiPass : Self.kpiFail]
        s.judge(comparison: c, advisory: advisory)
        #expect(s.verdict == v)
        let label = v.label
        #expect(VerdictTable.render(s).contains("verdict: \(label)\n"))
        #expect(MarkdownReport.render(s, comparison: c).contains("**Verdict: \(label)**"))
        let html = HTMLReport.render(s, comparison: c)
        #expect(html.contains("<title>Mailstorm basic (smoke): \(label)</title>"))
        #expect(html.contains("id=\"verdict\">Verdict: \(label)<"))
        let xml = try #require(XMLCollector.parse(JUnitReport.render(s, comparison: c)))
        let verdictCase = try #require(xml.elements.first { $0.name == "testcase" && $0.attributes["name"]?.hasPrefix("verdict") == true })
        #expect(verdictCase.attributes["name"] == "verdict: \(label)")
        let failures = xml.elements.filter { $0.name == "failure" }.count, errors = xml.elements.filter { $0.name == "error" }.count
        switch outcome {
        case .pass, .improved: #expect(failures == 0 && errors == 0, "advisory regressions are skipped, never failures")
        case .fail: #expect(failures > 0)
        case .inconclusive: #expect(errors == 1 && failures == 0)
        }
        let decoded = try Summary.decode(s.encoded())
        #expect(decoded.verdict == v)
    }

    @Test func libraryErrorsMapToTheirExitCodes() {
        #expect(ExitStatus.classify(UsageError("bad --rate"))! == (ExitStatus.usage, "bad --rate"))
        #expect(ExitStatus.classify(ReportError("baseline 'x' is unreadable"))?.code == ExitStatus.usage)
        #expect(ExitStatus.classify(StackError("postgres did not start"))?.code == ExitStatus.infrastructure)
        #expect(ExitStatus.classify(CancellationError()) == nil)
        #expect(ExitStatus.classify(StackError("campaignd refused its configuration", isUsage: true))?.code == ExitStatus.usage)
        // A server that did not answer is infrastructure, said in the words of the innermost error.
        let refused = NSError(domain: NSURLErrorDomain, code: -1004, userInfo: [
            NSURLErrorFailingURLErrorKey: URL(string: "http://127.0.0.1:1/api/login")!,
            NSUnderlyingErrorKey: NSError(domain: NSURLErrorDomain, code: -1004, userInfo: [NSLocalizedDescriptionKey: "Couldn't connect to server"])])
        #expect(ExitStatus.classify(refused)! == (ExitStatus.infrastructure, "http://127.0.0.1:1/api/login: Couldn't connect to server"))
    }

    @Test func interruptedRunsExit130AndNeverPass() {
        let v = Verdict.make(kpis: [Self.kpiPass], problems: [], interrupted: true, comparison: nil, advisory: false)
        #expect(v.outcome == .fail && v.exitCode == ExitStatus.interrupted && v.reasons.first == "run interrupted")
    }

    @Test func runChecksFailTheRun() {
        let v = Verdict.make(kpis: [Self.kpiPass], problems: ["send: 3 recipients never arrived"], interrupted: false, comparison: nil, advisory: false)
        #expect(v.outcome == .fail && v.reasons == ["send: 3 recipients never arrived"])
    }

    /// A KPI the run could not measure (campaignd's cache saw no lookup) fails, and says so, not "nan%".
    @Test func aKPIThatWasNotMeasuredFailsAndSaysSo() throws {
        let kpis = SummaryBuilder.evaluate(KPICatalog.api, latency: Summary.Percentiles(LatencyHistogram.latency()), errorRate: 0, services: nil)
        let ratio = try #require(kpis.first { $0.name == "cache hit ratio" })
        #expect(!ratio.pass && ratio.measured == "not measured")
        let v = Verdict.make(kpis: kpis, problems: [], interrupted: false, comparison: nil, advisory: false)
        #expect(v.outcome == .fail && v.reasons.contains("KPI cache hit ratio: not measured, threshold ≥ 80.00%"))
    }

    @Test func theCombinedIndexShowsTheWorstMember() {
        var pass = ComparisonTests.summary(level: 10)
        pass.judge(comparison: nil, advisory: false)
        var unknown = pass
        unknown.judge(comparison: Self.noisy, advisory: false)
        let v = CombinedReport.verdict([.init(folder: "a", summary: pass), .init(folder: "b", summary: unknown)])
        #expect(v.outcome == .inconclusive && v.exitCode == 5)
        #expect(CombinedReport.verdict([]).outcome == .fail)
    }
}

@Suite struct TrialScheduleTests {
    static func comparison(_ level: Double?) -> Comparison? {
        level.map { $0 == 0 ? VerdictTests.noisy : VerdictTests.comparison($0) }
    }

    @Test func addsTrialsOnlyWhileUndecidedAndUnderTheCaps() {
        let s = TrialSchedule(minTrials: 3, maxTrials: 6, maxSeconds: 600)
        #expect(s.next(done: 1, elapsed: 30, perTrial: 30, comparison: nil) == .another)
        #expect(s.next(done: 3, elapsed: 90, perTrial: 30, comparison: nil) == .stop("no comparison"))
        #expect(s.next(done: 3, elapsed: 90, perTrial: 30, comparison: Self.comparison(10)) == .stop("decided: unchanged"))
        #expect(s.next(done: 3, elapsed: 90, perTrial: 30, comparison: Self.comparison(13)) == .stop("decided: regressed"))
        #expect(s.next(done: 3, elapsed: 90, perTrial: 30, comparison: Self.comparison(0)) == .another)
        #expect(s.next(done: 6, elapsed: 180, perTrial: 30, comparison: Self.comparison(0)) == .stop("cap of 6 trials reached"))
        #expect(s.next(done: 4, elapsed: 590, perTrial: 30, comparison: Self.comparison(0)) == .stop("cap of 10 minutes reached"))
        var other = Machine.current
        other.cores = 96
        let elsewhere = ComparisonTests.compare(ComparisonTests.summary(level: 10), ComparisonTests.summary(level: 10, machine: other))
        #expect(s.next(done: 3, elapsed: 90, perTrial: 30, comparison: elsewhere) == .stop("another machine: more trials cannot help"))
    }
}
