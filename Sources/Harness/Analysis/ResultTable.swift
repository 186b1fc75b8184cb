/// A table of a result, as cells: each report lays it out its own way.
public struct ResultTable: Codable, Sendable, Equatable {
    public var header: [String]
    public var rows: [[String]]
    public init(header: [String], rows: [[String]]) {
        self.header = header
        self.rows = rows
    }
}
