/// One section of a run configuration file (`tasks:`, `model:`) as a task family or an
/// architecture reads its own keys: typed, range-checked access that throws one line naming
/// the key (`tasks.ways`). MetaConfig's YAML mapping conforms; unit tests may pass their own.
///
/// Contract: a getter returns nil when the key is absent and throws when it is present with a
/// value of the wrong type or outside `range`; ``path`` is the prefix of the section's keys in
/// messages, with its trailing dot (`"tasks."`).
public protocol ConfigSection {
    var path: String { get }
    /// Whether the section has `key` at all.
    func contains(_ key: String) -> Bool
    func string(_ key: String) throws -> String?
    func integer(_ key: String, in range: ClosedRange<Int>) throws -> Int?
    func integers(_ key: String, in range: ClosedRange<Int>, count: ClosedRange<Int>) throws -> [Int]?
}

/// A value a component writes back to a configuration file (``TaskFamilySpec/entries``).
public enum ConfigValue: Sendable, Equatable {
    case integer(Int)
    case string(String)
    case integers([Int])
}

/// A configuration that a component (task family, architecture, learner) cannot use, as one
/// line naming the configuration key; the configuration reader reports it as its own error.
public struct ConfigurationProblem: Error, CustomStringConvertible, Equatable, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
