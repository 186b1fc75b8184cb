/// A provider's reply to a batch, `{"results":[{"message_id":…,"status":…},…]}`, read straight from its bytes: keys
/// in any order, other members skipped, escapes decoded (a Go encoder writes `<` as `\u003c`). JSONDecoder built a
/// keyed container per item and was 18% of campaignd's CPU in an HTTP send (perf, 1M messages).
struct ProviderReply: Equatable {
    struct Item: Equatable {
        var messageID: String
        var status: String
    }
    var results: [Item]

    init(results: [Item]) { self.results = results }

    /// nil unless the body is one JSON object of that shape, every item with both strings.
    init?(_ body: [UInt8]) {
        guard let items = body.withUnsafeBufferPointer({ b -> [Item]? in
            var r = JSONByteReader(b)
            var items: [Item]?
            let ok = r.members { r, key in
                guard key == "results" else { return r.skipValue() }
                var list: [Item] = []
                let ok = r.elements { r in
                    var id: String?, status: String?
                    guard r.members({ r, key in
                        switch key {
                        case "message_id": id = r.string(); return id != nil
                        case "status": status = r.string(); return status != nil
                        default: return r.skipValue()
                        }
                    }), let id, let status else { return false }
                    list.append(Item(messageID: id, status: status))
                    return true
                }
                items = list
                return ok
            }
            return ok && r.atEnd ? items : nil
        }) else { return nil }
        results = items
    }
}
