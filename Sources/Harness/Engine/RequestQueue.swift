/// Requests waiting for a free connection, oldest first (an array and a head index: no shifting per pop).
struct RequestQueue {
    private var items: [InFlightRequest] = []
    private var head = 0

    var isEmpty: Bool { head == items.count }
    var first: InFlightRequest? { isEmpty ? nil : items[head] }

    mutating func push(_ request: InFlightRequest) { items.append(request) }

    mutating func pop() -> InFlightRequest? {
        guard !isEmpty else { return nil }
        defer {
            head += 1
            if head == items.count { items.removeAll(keepingCapacity: true); head = 0 }
        }
        return items[head]
    }
}
