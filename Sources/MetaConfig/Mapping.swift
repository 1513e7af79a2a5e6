import Yams
import MetaAlgorithms

/// A YAML mapping with typed, path-named access; rejects keys outside `allowed`.
struct Mapping {
    let path: String
    private let entries: [String: Node]

    init(_ node: Node, path: String, allowed: [String]) throws {
        guard let mapping = node.mapping else {
            throw ConfigError("config key '\(path.isEmpty ? "(top level)" : String(path.dropLast()))': expected a mapping of keys to values")
        }
        var entries: [String: Node] = [:]
        for (k, v) in mapping {
            guard let key = k.string else { throw ConfigError("config: a key under '\(path)' is not a string") }
            guard allowed.contains(key) else {
                throw ConfigError("unknown config key '\(path)\(key)' (known here: \(allowed.sorted().joined(separator: ", ")))")
            }
            guard entries[key] == nil else { throw ConfigError("config key '\(path)\(key)' appears twice") }
            entries[key] = v
        }
        self.path = path; self.entries = entries
    }

    subscript(key: String) -> Node? { entries[key] }

    func mapping(_ key: String, allowed: [String]) throws -> Mapping? {
        guard let n = entries[key] else { return nil }
        return try Mapping(n, path: path + key + ".", allowed: allowed)
    }

    func string(_ key: String) throws -> String? {
        guard let n = entries[key] else { return nil }
        guard let s = n.scalar?.string, !s.isEmpty else { throw ConfigError("config key '\(path)\(key)': expected a string") }
        return s
    }

    /// The integer at `key`, which must lie in `range`; a number too large for `Int` is out of range too.
    func integer(_ key: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let n = entries[key] else { return nil }
        return try Self.integer(n, key: path + key, in: range)
    }

    static func integer(_ n: Node, key: String, in range: ClosedRange<Int>) throws -> Int {
        guard let raw = n.scalar?.string else { throw ConfigError("config key '\(key)': expected an integer, got a collection") }
        let text = raw.replacingOccurrences(of: "_", with: "")
        guard let v = Int(text) else {
            // Digits that do not fit in Int are an integer out of range, not a wrong type.
            let digits = text.hasPrefix("-") || text.hasPrefix("+") ? text.dropFirst() : Substring(text)
            if !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) {
                throw ConfigLimits.outOfRange(key, range, got: raw)
            }
            throw ConfigError("config key '\(key)': expected an integer, got '\(raw)'")
        }
        guard range.contains(v) else { throw ConfigLimits.outOfRange(key, range, got: String(v)) }
        return v
    }

    /// The finite number at `key`, which must lie in `range` (and be above its lower bound when `exclusiveMinimum`).
    func number(_ key: String, in range: ClosedRange<Double>, exclusiveMinimum: Bool = false) throws -> Double? {
        guard let n = entries[key] else { return nil }
        guard let text = n.scalar?.string, let v = Double(text.replacingOccurrences(of: "_", with: "")), v.isFinite else {
            throw ConfigError("config key '\(path)\(key)': expected a finite number, got '\(n.scalar?.string ?? "a collection")'")
        }
        guard range.contains(v), !exclusiveMinimum || v > range.lowerBound else {
            let lower = exclusiveMinimum ? "greater than \(range.lowerBound) and at most" : "between \(range.lowerBound) and"
            throw ConfigError("config key '\(path)\(key)' must be \(lower) \(range.upperBound), got \(v)")
        }
        return v
    }

    func bool(_ key: String) throws -> Bool? {
        guard let n = entries[key] else { return nil }
        switch n.scalar?.string.lowercased() {
        case "true", "yes": return true
        case "false", "no": return false
        default: throw ConfigError("config key '\(path)\(key)': expected true or false, got '\(n.scalar?.string ?? "a collection")'")
        }
    }

    /// A list of integers, each in `range`, with a number of entries in `count`.
    func integers(_ key: String, in range: ClosedRange<Int>, count: ClosedRange<Int>) throws -> [Int]? {
        guard let n = entries[key] else { return nil }
        guard let seq = n.sequence, !seq.isEmpty else { throw ConfigError("config key '\(path)\(key)': expected a list of integers") }
        guard count.contains(seq.count) else {
            throw ConfigError("config key '\(path)\(key)' must list between \(count.lowerBound) and \(count.upperBound) integers, got \(seq.count)")
        }
        return try seq.enumerated().map { i, item in try Self.integer(item, key: "\(path)\(key)[\(i)]", in: range) }
    }
}

extension Mapping: ConfigSection {
    func contains(_ key: String) -> Bool { self[key] != nil }
}
