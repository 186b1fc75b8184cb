import Testing
@testable import SystemUnderTest

@Suite struct StatementCacheTests {
    @Test func theLeastRecentlyUsedIsEvictedAndNamesAreNeverReused() {
        var c = StatementCache(capacity: 2)
        let a = c.insert("A"), b = c.insert("B")
        #expect(a.evicted == nil && b.evicted == nil && a.name != b.name)
        #expect(c.lookup("A") == a.name)  // A is now the most recent: B goes first
        let third = c.insert("C")
        #expect(third.evicted == b.name && c.lookup("B") == nil && c.count == 2)
        let again = c.insert("B")
        #expect(again.evicted == a.name && ![a.name, b.name, third.name].contains(again.name))
        c.remove("B")
        #expect(c.lookup("B") == nil && c.count == 1)
    }
}
