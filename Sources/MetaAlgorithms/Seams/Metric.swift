/// What a run reports for its tasks: the per-task figure that training logs, validation
/// averages and the evaluation table shows.
///
/// A value with its own formatting rules, so logs, reports and tables agree: ``accuracy`` is a
/// fraction shown as a percentage, ``mse`` a plain number. ``name`` is the stable string in
/// metrics files (JSON lines) and checkpoints; never renamed.
public struct Metric: Sendable, Hashable, CustomStringConvertible {
    /// The name in metrics files and reports (`"accuracy"`, `"mse"`).
    public let name: String
    /// Whether a larger value is better (accuracy) or worse (a loss such as MSE).
    public let higherIsBetter: Bool
    /// Whether the value is a fraction in [0, 1], shown as a percentage.
    public let isFraction: Bool

    public init(name: String, higherIsBetter: Bool, isFraction: Bool) {
        self.name = name; self.higherIsBetter = higherIsBetter; self.isFraction = isFraction
    }

    /// Classification: the fraction of query examples whose highest score is the right class.
    public static let accuracy = Metric(name: "accuracy", higherIsBetter: true, isFraction: true)
    /// Regression: the mean squared error on the query set.
    public static let mse = Metric(name: "mse", higherIsBetter: false, isFraction: false)

    public var description: String { name }
}
