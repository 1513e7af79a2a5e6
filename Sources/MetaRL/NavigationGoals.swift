import MetaRandom

/// The goals of navigation tasks: task `index` of `iteration` under `seed` has its goal drawn
/// from the stream (seed, iteration, index, purpose "navigation-goal <split>"), so training,
/// validation and test goals come from separate streams.
public enum NavigationGoals {
    /// `split` is the name of the split ("train", "validation", "test").
    public static func goal(seed: UInt64, iteration: UInt64, index: UInt32, split: String) -> (x: Double, y: Double) {
        var stream = RandomStream(seed: seed, iteration: iteration, task: index, purpose: RandomPurpose("navigation-goal \(split)"))
        return NavigationEnvironment.drawGoal(&stream)
    }
}
