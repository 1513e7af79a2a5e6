import MetaTensor
import MetaNN

/// A gradient-based optimizer as a pair of pure functions over explicit state, in the style
/// of optax: ``initialState(for:)`` builds the state for a parameter set and
/// ``update(_:gradients:state:)`` returns the new parameters and the new state.
///
/// Contract shared by every conformer:
/// - `update` is pure: it never mutates its arguments (all values are copy-on-write
///   tensors), depends on nothing but its arguments and the optimizer's configuration, and
///   the same inputs give bit-identical outputs on every run and in every process.
/// - `gradients` and `state` must have the parameters' names, in the same order, with the
///   same shapes; a mismatch is a programming error and stops with a message.
/// - The work is done with whole-tensor kernels (a handful of kernel calls per parameter
///   tensor), never with per-element generic Swift loops.
/// - The state is a value that a checkpoint can store: ``stateTensors(_:)`` lays it out as a
///   named parameter set (encodable with `ParameterCoding`), and
///   ``restoreState(from:for:)`` rebuilds it, checking every name and shape. The step count
///   is stored as ``StepCount`` limbs so that it survives `Float` storage exactly.
///
/// Hyperparameters are stored properties of the optimizer, not part of the state, so a
/// learning-rate schedule is a caller changing `learningRate` between steps.
public protocol Optimizer<Scalar>: Sendable {
    associatedtype Scalar: TensorScalar
    associatedtype State: Sendable, Equatable

    /// The state before the first step (step count 0, zero moments).
    func initialState(for parameters: Parameters<Tensor<Scalar>>) -> State

    /// One optimisation step: the new parameters and the new state. Pure (see the protocol).
    func update(_ parameters: Parameters<Tensor<Scalar>>, gradients: Parameters<Tensor<Scalar>>,
                state: State) -> (parameters: Parameters<Tensor<Scalar>>, state: State)

    /// The state as a named tensor set for checkpoints (names are prefixed by the optimizer,
    /// e.g. `adam.m.<parameter>`); ``restoreState(from:for:)`` inverts it exactly.
    func stateTensors(_ state: State) -> Parameters<Tensor<Scalar>>

    /// Rebuilds the state from ``stateTensors(_:)``'s output for `parameters`; throws
    /// ``OptimizerStateError`` when a name is missing or unexpected, a shape differs, or the
    /// step count is malformed.
    func restoreState(from tensors: Parameters<Tensor<Scalar>>,
                      for parameters: Parameters<Tensor<Scalar>>) throws -> State
}

/// Why a stored optimizer state cannot be restored.
public struct OptimizerStateError: Error, CustomStringConvertible, Equatable, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

// MARK: - Shared checks and state (de)serialisation helpers

/// Stops unless `other` has the names and shapes of `parameters` (`what` names it in the message).
func requireMatching<S: TensorScalar>(_ other: Parameters<Tensor<S>>, _ parameters: Parameters<Tensor<S>>,
                                      _ what: String) {
    require(other.layout == parameters.layout,
                 "\(what): names \(other.names) do not match the parameters' \(parameters.names)")
    for i in 0..<parameters.count where other.values[i].shape != parameters.values[i].shape {
        fatalError("\(what): '\(parameters.names[i])' has shape \(other.values[i].shape), "
                            + "the parameter has \(parameters.values[i].shape)")
    }
}

/// Reads the named tensors of a stored state: checks that `tensors` holds exactly
/// `expected` names (in any order) and returns a lookup by name.
func storedTensors<S: TensorScalar>(_ tensors: Parameters<Tensor<S>>, expected: [String],
                                    optimizer: String) throws -> [String: Tensor<S>] {
    let byName = Dictionary(uniqueKeysWithValues: zip(tensors.names, tensors.values))
    let expectedSet = Set(expected)
    if let missing = expected.first(where: { byName[$0] == nil }) {
        throw OptimizerStateError("\(optimizer) state: missing '\(missing)'")
    }
    if let extra = tensors.names.first(where: { !expectedSet.contains($0) }) {
        throw OptimizerStateError("\(optimizer) state: unexpected '\(extra)'")
    }
    return byName
}

/// The per-parameter tensors `<prefix>.<name>` from a stored state, as a set with the
/// parameters' layout; throws when a shape differs.
func storedMoments<S: TensorScalar>(_ byName: [String: Tensor<S>], prefix: String,
                                    for parameters: Parameters<Tensor<S>>) throws -> Parameters<Tensor<S>> {
    var values: [Tensor<S>] = []
    values.reserveCapacity(parameters.count)
    for (name, p) in zip(parameters.names, parameters.values) {
        let t = byName["\(prefix).\(name)"]!
        guard t.shape == p.shape else {
            throw OptimizerStateError("'\(prefix).\(name)' has shape \(t.shape), the parameter has \(p.shape)")
        }
        values.append(t)
    }
    return Parameters(layout: parameters.layout, values: values)
}
