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
}

extension Model {
    public var supportsTaskBatching: Bool { false }
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
