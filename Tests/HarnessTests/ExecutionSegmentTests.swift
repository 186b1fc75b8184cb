import Testing
@testable import Harness

@Suite struct ExecutionSegmentTests {
    /// n segments together are the one schedule: the same iterations at the same due times, no more, no fewer.
    @Test(arguments: [1, 2, 3, 4, 7])
    func segmentsDealTheOneScheduleExactly(n: Int) throws {
        let pacers: [any Pacer] = [ConstantRate(perSecond: 2000, durationSeconds: 3),
                                   RampingRate(startRate: 10, stages: [.init(target: 900, durationSeconds: 2), .init(target: 0, durationSeconds: 1.5)])]
        for base in pacers {
            var whole: [UInt64] = []
            while let t = base.dueTime(ofIteration: UInt64(whole.count)) { whole.append(t) }
            var union: [UInt64] = []
            for i in 0..<n {
                let p = SegmentedPacer(base, segment: try ExecutionSegment(index: i, count: n))
                var m: UInt64 = 0
                while let t = p.dueTime(ofIteration: m) { union.append(t); m += 1 }
                #expect(abs(p.rate(atNanos: 0) * Double(n) - base.rate(atNanos: 0)) < 1e-9)
            }
            #expect(union.count == whole.count && union.sorted() == whole, "\(n) segments of \(base)")
        }
    }

    @Test func vuSharesSumToTheWholeAtEveryCount() throws {
        for n in 1...9 {
            let segs = try (0..<n).map { try ExecutionSegment(index: $0, count: n) }
            for v in 0...50 { #expect(segs.map { $0.share(of: v) }.reduce(0, +) == v) }
        }
    }

    @Test func segmentsAreParsedAndCheckedClearly() throws {
        #expect(try ExecutionSegment(parsing: "3/4") == ExecutionSegment(index: 3, count: 4))
        for bad in ["4/4", "-1/4", "1/0", "a/b", "1", "1/2/3", ""] {
            #expect(throws: SegmentError.self, "\(bad)") { try ExecutionSegment(parsing: bad) }
        }
    }
}
