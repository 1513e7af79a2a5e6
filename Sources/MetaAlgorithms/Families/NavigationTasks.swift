import MetaTensor
import MetaRandom
import MetaTasks
import MetaRL

/// Navigation tasks (Finn et al. 2017 §5.3) as a ``TaskFamily``: task `index` of `iteration`
/// is a goal (``NavigationGoals``, a separate stream per split) and the key of its evaluation
/// episodes, an integer below 2²⁴ drawn from the stream (seed, iteration, index, purpose
/// "navigation-episodes <split>") so that it is exact in `Float`.
///
/// Layout (``TaskShape/environment``): support inputs `[1, 2]` = the goal, support targets
/// `[1, 3]` = (episode key, horizon, episodes per adaptation step); the query set repeats them.
public struct NavigationTasks: TaskFamily {
    public var horizon: Int, episodes: Int

    public init(horizon: Int, episodes: Int) { self.horizon = horizon; self.episodes = episodes }

    public var shape: TaskShape { .environment }

    public func task<S: TensorScalar>(seed: UInt64, iteration: UInt64, index: UInt32, split: TaskSplit, as: S.Type) -> Task<S> {
        let goal = NavigationGoals.goal(seed: seed, iteration: iteration, index: index, split: split.rawValue)
        var stream = RandomStream(seed: seed, iteration: iteration, task: index, purpose: RandomPurpose("navigation-episodes \(split.rawValue)"))
        let key = stream.nextInt(below: 1 << 24)
        let inputs = Tensor<S>(shape: [1, 2], scalars: [S(goal.x), S(goal.y)])
        let targets = Targets<S>.regression(Tensor(shape: [1, 3], scalars: [S(key), S(horizon), S(episodes)]))
        return Task(supportInputs: inputs, supportTargets: targets, queryInputs: inputs, queryTargets: targets)
    }

    /// What a task drawn by this family holds.
    public struct Decoded: Sendable {
        public var goal: (x: Double, y: Double)
        /// The seed of the task's evaluation episodes (``Rollouts``).
        public var key: UInt64
        public var horizon: Int, episodes: Int
    }

    /// The goal, episode key, horizon and episode count of a task drawn by this family.
    public static func decode<S: TensorScalar>(_ task: Task<S>) -> Decoded {
        let g = task.supportInputs.scalars.map { Double($0) }
        guard case let .regression(t) = task.supportTargets, t.count == 3 else {
            fatalError("navigation tasks carry (key, horizon, episodes) as their support targets")
        }
        let v = t.scalars.map { Int(Double($0)) }
        return Decoded(goal: (g[0], g[1]), key: UInt64(v[0]), horizon: v[1], episodes: v[2])
    }
}
