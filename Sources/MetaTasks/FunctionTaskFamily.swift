import MetaTensor

/// A regression task family whose tasks are functions that can be evaluated at any input, so
/// that a task can be drawn as a curve: its true function, its support points, and a model's
/// predictions over a dense grid.
public protocol FunctionTaskFamily: TaskFamily {
    /// The interval its (1-D) inputs are drawn from: where a task's curve is drawn.
    var inputDomain: ClosedRange<Double> { get }

    /// The task with these coordinates (the same support set as
    /// ``TaskFamily/task(seed:iteration:index:split:as:)``) with its query set replaced by
    /// `queryInputs` and the task function's noiseless values there.
    func task<S: TensorScalar>(seed: UInt64, iteration: UInt64, index: UInt32, split: TaskSplit,
                               queryInputs: Tensor<S>) -> Task<S>
}
