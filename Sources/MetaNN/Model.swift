import MetaTensor
import MetaAutodiff
import MetaRandom

/// A network as a pure function of explicit parameters.
public protocol Model: Sendable {
    /// The layers in order (their parameters, concatenated, are the model's parameters).
    var layers: [any Layer] { get }
    /// Names of the parameters of the final (classification or regression) layer; ANIL adapts only these.
    var headParameterNames: [String] { get }
    /// The network's output for a batch `x` under `parameters`.
    func apply<S: TensorScalar>(_ parameters: Parameters<Variable<S>>, _ x: Variable<S>) -> Variable<S>
    /// The representation before the head (`[n, features]`), used by metric-based learners.
    func features<S: TensorScalar>(_ parameters: Parameters<Variable<S>>, _ x: Variable<S>) -> Variable<S>
    /// Whether `apply` also accepts a leading task axis: inputs `[T, n, …]` with parameters
    /// `[T, …]` (vectors as `[T, 1, n]`), each task computed with its own parameters exactly as
    /// it would be alone. Lets a shard of tasks run as one batched graph.
    var supportsTaskBatching: Bool { get }
    /// The output for examples scored each on its own, as after adaptation: ``apply(_:_:)``
    /// except where the model keeps running statistics (batch norm in the
    /// ``BatchNormMode/runningStatistics`` mode), which it then normalises with, so no example's
    /// output depends on the others in the batch.
    func predict<S: TensorScalar>(_ parameters: Parameters<Variable<S>>, _ x: Variable<S>) -> Variable<S>
    /// The parameters that hold running statistics, which no gradient moves: the trainer folds
    /// the tasks' ``batchStatistics(_:_:)`` into them (see ``BatchNorm/runningMomentum``).
    /// Empty for models without them.
    var runningStatisticNames: [String] { get }
    /// The batch statistics that ``apply(_:_:)`` normalises `x` with under `parameters`, one
    /// tensor per entry of ``runningStatisticNames`` and in its order (values, no graph).
    func batchStatistics<S: TensorScalar>(_ parameters: Parameters<Tensor<S>>, _ x: Tensor<S>) -> [Tensor<S>]
}

extension Model {
    public var supportsTaskBatching: Bool { false }
    public func predict<S: TensorScalar>(_ parameters: Parameters<Variable<S>>, _ x: Variable<S>) -> Variable<S> {
        apply(parameters, x)
    }
    public var runningStatisticNames: [String] { [] }
    public func batchStatistics<S: TensorScalar>(_ parameters: Parameters<Tensor<S>>, _ x: Tensor<S>) -> [Tensor<S>] { [] }
}

extension Model {
    /// Initial parameters from the stream (seed, purpose `.initialization`): the same seed gives
    /// the same parameters in every process, bit for bit.
    public func initialParameters<S: TensorScalar>(seed: UInt64, as: S.Type = S.self) -> Parameters<Tensor<S>> {
        var stream = RandomStream(seed: seed, purpose: .initialization)
        var entries: [(String, Tensor<S>)] = []
        for layer in layers { entries += layer.initialParameters(using: &stream) }
        return Parameters(entries)
    }
}
