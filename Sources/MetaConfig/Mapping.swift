import Yams

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

    func integer(_ key: String, minimum: Int) throws -> Int? {
        guard let n = entries[key] else { return nil }
        guard let text = n.scalar?.string, let v = Int(text.replacingOccurrences(of: "_", with: "")) else {
            throw ConfigError("config key '\(path)\(key)': expected an integer, got '\(n.scalar?.string ?? "a collection")'")
        }
        guard v >= minimum else { throw ConfigError("config key '\(path)\(key)': must be at least \(minimum), got \(v)") }
        return v
    }

    func number(_ key: String, minimum: Double) throws -> Double? {
        guard let n = entries[key] else { return nil }
        guard let text = n.scalar?.string, let v = Double(text), v.isFinite else {
            throw ConfigError("config key '\(path)\(key)': expected a number, got '\(n.scalar?.string ?? "a collection")'")
        }
        guard v >= minimum else { throw ConfigError("config key '\(path)\(key)': must be at least \(minimum), got \(v)") }
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

    func integers(_ key: String, minimum: Int) throws -> [Int]? {
        guard let n = entries[key] else { return nil }
        guard let seq = n.sequence, !seq.isEmpty else { throw ConfigError("config key '\(path)\(key)': expected a list of integers") }
        return try seq.map { item in
            guard let text = item.scalar?.string, let v = Int(text), v >= minimum else {
                throw ConfigError("config key '\(path)\(key)': expected integers of at least \(minimum), got '\(item.scalar?.string ?? "?")'")
            }
            return v
        }
    }
}
