import Foundation

/// A JSON value of a metrics line, decoded without a schema so that unknown keys and kinds
/// pass through and a wrong type in one key does not lose the rest of the record.
enum JSONValue: Decodable, Sendable, Equatable {
    case null, bool(Bool), number(Double), string(String), array([JSONValue]), object([String: JSONValue])

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let n = try? c.decode(Double.self) { self = .number(n) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    /// The object on one line of JSON, or nil when the line is not a JSON object.
    static func parseObject(_ text: String) -> [String: JSONValue]? {
        guard case .object(let o)? = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) else { return nil }
        return o
    }

    /// A finite number.
    var double: Double? {
        if case .number(let x) = self, x.isFinite { return x }
        return nil
    }

    /// A number that is a whole number in `Int`'s range.
    var int: Int? {
        guard let x = double, x == x.rounded(), abs(x) < 9.0e15 else { return nil }
        return Int(x)
    }

    var string: String? {
        if case .string(let s) = self { return s }
        return nil
    }
}
