import MetaTasks

/// A task family as a run configuration names it (`tasks: { family: NAME, … }`): it reads and
/// checks its own keys, writes them back, builds the ``TaskFamily`` that draws tasks, and says
/// what its tasks look like (shape, classes, size, metric) so learners and architectures can
/// check that they fit.
///
/// Adding a family is one file with a type conforming to this protocol and one line in
/// ``TaskFamilies/all``; configuration files, validation and the workers' job then know it.
///
/// Contract: a value is a complete, checked description (``read(_:over:)`` refuses anything
/// out of range); ``entries`` read back through ``read(_:over:)`` to an equal value;
/// ``makeTasks()`` is the only place that touches data on disk. A configuration never names
/// where data is (each process has its own folder): a family that reads a data set names it
/// by its content digest (``dataDigest``), which the trainer pins once it has loaded the data.
public protocol TaskFamilySpec: Sendable, Equatable {
    /// The family's name in configuration files (`tasks.family`); never renamed.
    static var name: String { get }
    /// The keys it reads besides `family`.
    static var keys: [String] { get }
    /// Reads `section`'s keys over `base` (the previous tasks, from a preset or `tasks:` for
    /// `evaluation_tasks:`, possibly of another family: keys of the same name carry over, such
    /// as `ways`), or over the family's defaults when nil.
    static func read(_ section: any ConfigSection, over base: RunConfiguration.Family?) throws -> Self

    /// The keys and values written to a configuration file, in order (without `family`).
    var entries: [(key: String, value: ConfigValue)] { get }
    /// Builds the task sampler; throws a one-line error when its data is missing or damaged, or
    /// when ``dataDigest`` is set and the data's content digest differs.
    func makeTasks() throws -> any TaskFamily
    /// The content digest the family's data set must have (its ``TaskFamily/contentDigest``),
    /// as the configuration pins it; nil when not pinned, or the family reads no data set.
    var dataDigest: String? { get }
    /// This family pinned to data of content digest `digest` (written to ``entries``); a
    /// family that reads no data set returns itself.
    func pinned(toData digest: String) -> Self
    /// How its tasks are laid out.
    var shape: TaskShape { get }
    /// Classes per task; nil for regression.
    var classes: Int? { get }
    /// The side of its square one-channel images, nil when inputs are not images.
    var imageSide: Int? { get }
    /// The width of one sequence step's input (pixels and the previous label), for ``TaskShape/sequence``.
    var stepWidth: Int? { get }
    /// What its runs report.
    var metric: Metric { get }
    /// Input scalars in one task (support and query), and how they follow from the keys
    /// under `key` (`"tasks"`), for the message when they exceed the budget.
    var taskScalars: Int { get }
    func taskScalarsFormula(key: String) -> String
    /// A problem with drawing these tasks for training (`testing` false) or for validation and
    /// test (`testing` true), naming keys under `key`; nil when there is none.
    func problem(key: String, testing: Bool) -> String?
}

extension TaskFamilySpec {
    public var shape: TaskShape { .supportQuery }
    public var imageSide: Int? { nil }
    public var stepWidth: Int? { nil }
    public var metric: Metric { classes == nil ? .mse : .accuracy }
    public func problem(key: String, testing: Bool) -> String? { nil }
    public var dataDigest: String? { nil }
    public func pinned(toData digest: String) -> Self { self }
}

/// The registered task families.
public enum TaskFamilies {
    /// Every family, in the order messages list them: one line each.
    public static let all: [any TaskFamilySpec.Type] = [
        SinusoidFamily.self,
        OmniglotFamily.self,
        SyntheticImagesFamily.self,
        OmniglotSequencesFamily.self,
        SyntheticSequencesFamily.self,
        NavigationFamily.self,
        AmbiguousFamily.self,
        OmniglotClassesFamily.self,
    ]

    /// The family registered under `name`.
    public static func named(_ name: String) -> (any TaskFamilySpec.Type)? { all.first { $0.name == name } }

    /// Every key any family reads, and `family`.
    public static var allKeys: [String] { ["family"] + Set(all.flatMap { $0.keys }).sorted() }
}

extension RunConfiguration {
    /// The tasks a run draws: one registered family's value (see ``TaskFamilySpec``).
    public struct Family: Sendable, Equatable, CustomStringConvertible {
        public let spec: any TaskFamilySpec

        public init(_ spec: any TaskFamilySpec) { self.spec = spec }

        public static func == (a: Family, b: Family) -> Bool { a.spec.isEqual(to: b.spec) }

        /// The family's configuration name.
        public var name: String { type(of: spec).name }
        public var description: String { name }
        /// The spec as `T`, when it is one.
        public func `as`<T: TaskFamilySpec>(_: T.Type) -> T? { spec as? T }

        /// This family pinned to data of content digest `digest` (``TaskFamilySpec/pinned(toData:)``).
        public func pinned(toData digest: String) -> Family { Family(spec.pinned(toData: digest)) }

        /// The value of an integer key, when the family has it.
        public func integer(_ key: String) -> Int? {
            spec.entries.first { $0.key == key }.flatMap { if case let .integer(v) = $0.value { v } else { nil } }
        }
        /// The value of a string key, when the family has it.
        public func string(_ key: String) -> String? {
            spec.entries.first { $0.key == key }.flatMap { if case let .string(v) = $0.value { v } else { nil } }
        }

        /// Reads a `tasks:` section: the family named there (or `base`'s) over `base`. Keys that
        /// the family does not read are refused by name.
        public static func read(_ section: any ConfigSection, over base: Family?) throws -> Family {
            let name = try section.string("family") ?? base?.name ?? SinusoidFamily.name
            guard let kind = TaskFamilies.named(name) else {
                throw ConfigurationProblem("config key '\(section.path)family': unknown family '\(name)'; expected "
                                           + listed(TaskFamilies.all.map { $0.name }))
            }
            return try read(kind, section, base: base)
        }

        private static func read<T: TaskFamilySpec>(_ kind: T.Type, _ section: any ConfigSection, base: Family?) throws -> Family {
            let allowed = Set(T.keys + ["family"])
            for key in TaskFamilies.allKeys where !allowed.contains(key) && section.contains(key) {
                throw ConfigurationProblem("config key '\(section.path)\(key)' does not apply to \(T.name) tasks")
            }
            return Family(try T.read(section, over: base))
        }
    }
}

extension TaskFamilySpec {
    func isEqual(to other: any TaskFamilySpec) -> Bool { (other as? Self) == self }
}

/// "a, b or c".
func listed(_ names: [String]) -> String {
    names.count < 2 ? names.joined() : names.dropLast().joined(separator: ", ") + " or " + names.last!
}
