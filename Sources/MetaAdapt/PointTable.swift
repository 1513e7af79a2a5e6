import Foundation

/// Points of a one-dimensional regression read from a CSV file: one `x,y` or `x` row per line.
///
/// Blank lines and lines starting with `#` are skipped, and so is a first line whose fields are
/// not numbers (a header such as `x,y`). Fields are separated by a comma, with optional spaces.
/// Every value must be a finite number, and every row must have the same number of fields.
public struct PointTable: Sendable, Equatable {
    public var x: [Double]
    /// The targets, when the rows are `x,y`.
    public var y: [Double]?

    public init(x: [Double], y: [Double]?) { self.x = x; self.y = y }

    /// The most rows read.
    public static let maximumRows = 1_000_000

    /// Reads `url`; `columns` says what the rows may hold (`[2]`: x,y; `[1, 2]`: x or x,y).
    /// - Throws: ``AdaptError`` naming the file and line: unreadable, a bad number, a wrong field count, no rows.
    public static func read(_ url: URL, option: String, columns: Set<Int>) throws -> PointTable {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
                throw AdaptError("\(option) \(url.path) is a folder; this model regresses y on x: give a CSV file of "
                                 + (columns == [2] ? "x,y rows" : "x (or x,y) rows"))
            }
            throw AdaptError("\(option) \(url.path): cannot read the file")
        }
        let text = String(decoding: data, as: UTF8.self)
        var rows: [[Double]] = []
        var width: Int?
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            let values = fields.map { Double($0) }
            if rows.isEmpty, width == nil, values.allSatisfy({ $0 == nil }) { width = fields.count; continue }   // a header
            guard values.allSatisfy({ $0 != nil && $0!.isFinite }) else {
                throw AdaptError("\(url.path):\(n + 1): '\(line)' is not a row of numbers")
            }
            guard columns.contains(fields.count) else {
                throw AdaptError("\(url.path):\(n + 1): \(fields.count) fields; expected "
                                 + (columns == [2] ? "x,y" : "x or x,y"))
            }
            if let first = rows.first, first.count != fields.count {
                throw AdaptError("\(url.path):\(n + 1): \(fields.count) fields where the rows above have \(first.count)")
            }
            rows.append(values.map { $0! })
            guard rows.count <= maximumRows else { throw AdaptError("\(url.path): more than \(maximumRows) rows") }
        }
        guard !rows.isEmpty else { throw AdaptError("\(option) \(url.path): no rows of numbers") }
        return PointTable(x: rows.map { $0[0] }, y: rows[0].count == 2 ? rows.map { $0[1] } : nil)
    }
}
