import Foundation

extension JSONEncoder {
    /// Keys sorted, so that a record's line is the same bytes in every process.
    static var sorted: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return e
    }
}
