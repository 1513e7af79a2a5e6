/// The request line of an HTTP/1.x request, parsed from the bytes up to the blank line that
/// ends the header block. Only what the metrics endpoint routes on is kept: the method and the
/// path (the query string is dropped); header fields are not interpreted.
///
/// Pure: no I/O, so malformed input from a hostile peer is a `nil`, never a trap.
struct HTTPRequestHead: Equatable {
    var method: String
    var path: String

    /// Parses `bytes`, the header block (request line first). Nil when the request line is
    /// not `METHOD SP TARGET SP HTTP/1.x`.
    init?(_ bytes: some Collection<UInt8>) {
        let line = bytes.prefix { $0 != 13 && $0 != 10 }
        let parts = line.split(separator: 32, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, parts[1].first == UInt8(ascii: "/"),
              parts[2].starts(with: Array("HTTP/1.".utf8)),
              parts[0].allSatisfy({ (65...90).contains($0) }) else { return nil }
        method = String(decoding: parts[0], as: UTF8.self)
        path = String(decoding: parts[1].prefix { $0 != UInt8(ascii: "?") }, as: UTF8.self)
    }

    init(method: String, path: String) {
        self.method = method
        self.path = path
    }

    /// Where the header block ends in `bytes` (the index just past the blank line), searching
    /// from `start`; nil when it has not arrived yet. Accepts bare LF line ends as well as CRLF
    /// (RFC 9112 §2.2 allows a recipient to).
    static func endOfHeaders(in bytes: [UInt8], from start: Int = 0) -> Int? {
        var i = max(start, 1)
        while i < bytes.count {
            if bytes[i] == 10 {
                if bytes[i - 1] == 10 { return i + 1 }
                if i >= 2, bytes[i - 1] == 13, bytes[i - 2] == 10 { return i + 1 }
            }
            i += 1
        }
        return nil
    }
}
