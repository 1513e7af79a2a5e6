import MetaTasks

/// Ambiguous regression (Finn, Xu & Levine 2018, probabilistic MAML §5.1): `shots` noisy
/// support points and `queries` noisy query points of a sinusoid or a line (``AmbiguousTasks``).
public struct AmbiguousFamily: TaskFamilySpec {
    public var support: Int, query: Int

    public init(support: Int, query: Int) { self.support = support; self.query = query }

    public static let name = "ambiguous"
    public static let keys = ["shots", "queries"]

    public static func read(_ section: any ConfigSection, over base: RunConfiguration.Family?) throws -> AmbiguousFamily {
        AmbiguousFamily(support: try section.integer("shots", in: TaskLimits.shots) ?? base?.integer("shots") ?? 5,
                        query: try section.integer("queries", in: TaskLimits.queries) ?? base?.integer("queries") ?? 100)
    }

    public var entries: [(key: String, value: ConfigValue)] { [("shots", .integer(support)), ("queries", .integer(query))] }
    public func makeTasks() throws -> any TaskFamily { AmbiguousTasks(supportPoints: support, queryPoints: query) }
    public var classes: Int? { nil }
    public var taskScalars: Int { support + query }
    public func taskScalarsFormula(key: String) -> String { "\(key).shots + \(key).queries" }
}

extension RunConfiguration.Family {
    /// Ambiguous (sine or line) regression with `support` and `query` points.
    public static func ambiguous(support: Int, query: Int) -> Self { Self(AmbiguousFamily(support: support, query: query)) }
}
