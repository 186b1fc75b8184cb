/// Items waiting their turn, oldest first (an array and a head index: no shifting per pop): requests waiting for a
/// free connection, iterations waiting for a free session.
struct FIFOQueue<Element> {
    private var items: [Element] = []
    private var head = 0

    var isEmpty: Bool { head == items.count }
    var first: Element? { isEmpty ? nil : items[head] }

    mutating func push(_ item: Element) { items.append(item) }

    mutating func pop() -> Element? {
        guard !isEmpty else { return nil }
        defer {
            head += 1
            if head == items.count { items.removeAll(keepingCapacity: true); head = 0 }
        }
        return items[head]
    }
}
