import MetaTasks
import MetaRL

/// 2-D navigation (Finn et al. 2017 §5.3): goals uniform in [−0.5, 0.5]², episodes of
/// `horizon` steps (100 in the paper), `episodes` of them per task and adaptation step (20).
public struct NavigationFamily: TaskFamilySpec {
    public var horizon: Int, episodes: Int

    public init(horizon: Int = NavigationEnvironment.paperHorizon, episodes: Int = 20) {
        self.horizon = horizon; self.episodes = episodes
    }

    public static let name = "navigation"
    public static let keys = ["horizon", "episodes"]
    /// `tasks.horizon` and `tasks.episodes`.
    public static let horizons: ClosedRange<Int> = 1...10_000
    public static let episodeCounts: ClosedRange<Int> = 1...10_000

    public static func read(_ section: any ConfigSection, over base: RunConfiguration.Family?) throws -> NavigationFamily {
        NavigationFamily(horizon: try section.integer("horizon", in: horizons) ?? base?.integer("horizon") ?? NavigationEnvironment.paperHorizon,
                         episodes: try section.integer("episodes", in: episodeCounts) ?? base?.integer("episodes") ?? 20)
    }

    public var entries: [(key: String, value: ConfigValue)] { [("horizon", .integer(horizon)), ("episodes", .integer(episodes))] }
    public func makeTasks() throws -> any TaskFamily { NavigationTasks(horizon: horizon, episodes: episodes) }
    public var shape: TaskShape { .environment }
    public var classes: Int? { nil }
    public var metric: Metric { .averageReturn }
    public var taskScalars: Int { 2 }
    public func taskScalarsFormula(key: String) -> String { "2 (a goal)" }
}

extension RunConfiguration.Family {
    /// Navigation with episodes of `horizon` steps, `episodes` per task and adaptation step.
    public static func navigation(horizon: Int = NavigationEnvironment.paperHorizon, episodes: Int = 20) -> Self {
        Self(NavigationFamily(horizon: horizon, episodes: episodes))
    }
}
