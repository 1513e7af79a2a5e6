import MetaTasks

/// Sinusoid regression (Finn et al. 2017, §5.1): `shots` support points and `queries` query
/// points of a sine with random amplitude and phase (``SinusoidTasks``).
public struct SinusoidFamily: TaskFamilySpec {
    public var support: Int, query: Int

    public init(support: Int, query: Int) { self.support = support; self.query = query }

    public static let name = "sinusoid"
    public static let keys = ["shots", "queries"]

    public static func read(_ section: any ConfigSection, over base: RunConfiguration.Family?) throws -> SinusoidFamily {
        SinusoidFamily(support: try section.integer("shots", in: TaskLimits.shots) ?? base?.integer("shots") ?? 10,
                       query: try section.integer("queries", in: TaskLimits.queries) ?? base?.integer("queries") ?? 10)
    }

    public var entries: [(key: String, value: ConfigValue)] { [("shots", .integer(support)), ("queries", .integer(query))] }
    public func makeTasks() throws -> any TaskFamily { SinusoidTasks(supportPoints: support, queryPoints: query) }
    public var classes: Int? { nil }
    public var taskScalars: Int { support + query }
    public func taskScalarsFormula(key: String) -> String { "\(key).shots + \(key).queries" }
}

extension RunConfiguration.Family {
    /// Sinusoid regression with `support` and `query` points.
    public static func sinusoid(support: Int, query: Int) -> Self { Self(SinusoidFamily(support: support, query: query)) }
}
