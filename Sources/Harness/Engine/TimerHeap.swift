/// Timers by deadline (a binary heap); ties run in the order they were scheduled.
struct TimerHeap {
    private var items: [(deadline: UInt64, seq: UInt64, task: () -> Void)] = []
    private var seq: UInt64 = 0

    var nextDeadline: UInt64? { items.first?.deadline }
    var count: Int { items.count }

    mutating func push(_ deadline: UInt64, _ task: @escaping () -> Void) {
        seq += 1
        items.append((deadline, seq, task))
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard Self.before(items[i], items[parent]) else { break }
            items.swapAt(i, parent)
            i = parent
        }
    }

    /// The earliest task due by `now`, removed; nil if none is.
    mutating func popDue(now: UInt64) -> (() -> Void)? {
        guard let first = items.first, first.deadline <= now else { return nil }
        items.swapAt(0, items.count - 1)
        items.removeLast()
        var i = 0
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < items.count, Self.before(items[l], items[m]) { m = l }
            if r < items.count, Self.before(items[r], items[m]) { m = r }
            if m == i { break }
            items.swapAt(i, m)
            i = m
        }
        return first.task
    }

    private static func before(_ a: (deadline: UInt64, seq: UInt64, task: () -> Void), _ b: (deadline: UInt64, seq: UInt64, task: () -> Void)) -> Bool {
        a.deadline < b.deadline || (a.deadline == b.deadline && a.seq < b.seq)
    }
}
