import MetaNN

/// A network as a run configuration names it (`model: { architecture: NAME, … }`): it reads
/// and checks its own keys, writes them back, builds the ``Model``, and says which tasks it
/// fits.
///
/// Adding an architecture is one file with a type conforming to this protocol and one line in
/// ``Architectures/all``.
///
/// Contract: ``entries`` read back through ``read(_:over:tasks:)`` to an equal value; sizes
/// that follow from the tasks (a head's classes, a sequence model's input width) come from
/// `tasks` in ``read(_:over:tasks:)`` and ``fitted(to:)``, never from keys.
public protocol ArchitectureSpec: Sendable, Equatable {
    /// The name in configuration files (`model.architecture`); never renamed.
    static var name: String { get }
    /// The keys it reads besides `architecture`.
    static var keys: [String] { get }
    /// Reads `section`'s keys over `base` (the previous architecture, possibly another one),
    /// for `tasks`.
    static func read(_ section: any ConfigSection, over base: RunConfiguration.Architecture?,
                     tasks: RunConfiguration.Family) throws -> Self

    /// The keys and values written to a configuration file, in order (without `architecture`).
    var entries: [(key: String, value: ConfigValue)] { get }
    /// The same architecture sized for `tasks` (when a file changes the tasks but not the model).
    func fitted(to tasks: RunConfiguration.Family) -> Self
    /// The network.
    var model: any Model { get }
    /// Whether it can take `tasks`' inputs at all (the message names both keys when not).
    func accepts(_ tasks: RunConfiguration.Family) -> Bool
    /// A further problem with `configuration` (sizes, budgets), naming a key; nil when none.
    func problem(with configuration: RunConfiguration) -> String?
    /// The number of classes of its classification head, when it has one.
    var headClasses: Int? { get }
}

extension ArchitectureSpec {
    public func fitted(to tasks: RunConfiguration.Family) -> Self { self }
    public func problem(with configuration: RunConfiguration) -> String? { nil }
    public var headClasses: Int? { nil }

    func isEqual(to other: any ArchitectureSpec) -> Bool { (other as? Self) == self }
}

/// The registered architectures.
public enum Architectures {
    /// Every architecture, in the order messages list them: one line each.
    public static let all: [any ArchitectureSpec.Type] = [
        SineMLPArchitecture.self,
        OmniglotCNNArchitecture.self,
        ProtoNetEncoderArchitecture.self,
        MaxPoolCNNArchitecture.self,
        RelationNetworkArchitecture.self,
        MANNArchitecture.self,
        LSTMArchitecture.self,
        PolicyMLPArchitecture.self,
        ConvEncoderArchitecture.self,
    ]

    /// The architecture registered under `name`.
    public static func named(_ name: String) -> (any ArchitectureSpec.Type)? { all.first { $0.name == name } }

    /// Every key any architecture reads, and `architecture`.
    public static var allKeys: [String] { ["architecture"] + Set(all.flatMap { $0.keys }).sorted() }
}

extension RunConfiguration {
    /// The network a run trains: one registered architecture's value (see ``ArchitectureSpec``).
    public struct Architecture: Sendable, Equatable, CustomStringConvertible {
        public let spec: any ArchitectureSpec

        public init(_ spec: any ArchitectureSpec) { self.spec = spec }

        public static func == (a: Architecture, b: Architecture) -> Bool { a.spec.isEqual(to: b.spec) }

        /// The architecture's configuration name.
        public var name: String { type(of: spec).name }
        public var description: String { name }
        /// The spec as `T`, when it is one.
        public func `as`<T: ArchitectureSpec>(_: T.Type) -> T? { spec as? T }
        /// The same architecture sized for `tasks`.
        public func fitted(to tasks: Family) -> Architecture { Architecture(spec.fitted(to: tasks)) }

        /// Reads a `model:` section: the architecture named there (or `base`'s) over `base`.
        /// Keys that the architecture does not read are refused by name.
        public static func read(_ section: any ConfigSection, over base: Architecture?, tasks: Family) throws -> Architecture {
            let name = try section.string("architecture") ?? base?.name ?? SineMLPArchitecture.name
            guard let kind = Architectures.named(name) else {
                throw ConfigurationProblem("config key '\(section.path)architecture': unknown architecture '\(name)'; expected "
                                           + listed(Architectures.all.map { $0.name }))
            }
            return try read(kind, section, base: base, tasks: tasks)
        }

        private static func read<T: ArchitectureSpec>(_ kind: T.Type, _ section: any ConfigSection, base: Architecture?,
                                                      tasks: Family) throws -> Architecture {
            let allowed = Set(T.keys + ["architecture"])
            for key in Architectures.allKeys where !allowed.contains(key) && section.contains(key) {
                let users = Architectures.all.filter { $0.keys.contains(key) }.map { $0.name }
                throw ConfigurationProblem("config key '\(section.path)\(key)' applies only to architecture " + listed(users))
            }
            return Architecture(try T.read(section, over: base, tasks: tasks))
        }
    }
}
