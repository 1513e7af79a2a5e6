/// A task family whose tasks come in named kinds (``AmbiguousTasks``: sine or line), so that
/// figures over its tasks can be broken down by kind.
public protocol TaskKinds: TaskFamily {
    /// Every kind's name, in the order figures list them.
    var kindNames: [String] { get }
    /// The kind of the task with these coordinates (one of ``kindNames``): a pure function of
    /// them, as the task itself is.
    func kind(seed: UInt64, iteration: UInt64, index: UInt32, split: TaskSplit) -> String
}
