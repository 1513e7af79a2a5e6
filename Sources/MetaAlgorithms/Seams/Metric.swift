/// What a run reports for its tasks: the per-task figure that training logs, validation
/// averages and the evaluation table shows.
///
/// A value with its own formatting rules, so logs, reports and tables agree: ``accuracy`` is a
/// fraction shown as a percentage, ``mse`` a plain number. ``name`` is the stable string in
/// metrics files (JSON lines) and checkpoints; never renamed.
public struct Metric: Sendable, Hashable, CustomStringConvertible {
    /// The name in metrics files and reports (`"accuracy"`, `"mse"`).
    public let name: String
    /// Whether the value is a fraction in [0, 1], shown as a percentage.
    public let isFraction: Bool

    public init(name: String, isFraction: Bool) {
        self.name = name; self.isFraction = isFraction
    }

    /// Classification: the fraction of query examples whose highest score is the right class.
    public static let accuracy = Metric(name: "accuracy", isFraction: true)
    /// Regression: the mean squared error on the query set.
    public static let mse = Metric(name: "mse", isFraction: false)

    /// Reinforcement learning: the mean undiscounted return of a task's episodes (higher is better).
    public static let averageReturn = Metric(name: "return", isFraction: false)

    public var description: String { name }

    /// Whether the metric named `name` (as metrics files and evaluation reports store it) is a
    /// fraction shown as a percentage.
    public static func isFraction(named name: String) -> Bool { [accuracy, mse].first { $0.name == name }?.isFraction ?? false }
}
