import MetaTensor
import MetaAutodiff

/// A model that reads a whole sequence `[T, inputs]` in order and classifies every step
/// (`apply` gives logits `[T, classes]`): the models of sequence learners such as MANN.
///
/// A conforming model computes the per-step representation in `features` and reads it out
/// with its dense `output` layer, which is also its head.
public protocol SequenceModel: Model {
    /// The number of classes each step is classified into.
    var classes: Int { get }
    /// The read-out from ``Model/features(_:_:)`` to the logits.
    var output: Dense { get }
}

extension SequenceModel {
    public var headParameterNames: [String] { [output.name + ".weight", output.name + ".bias"] }

    public func apply<S: TensorScalar>(_ parameters: Parameters<Variable<S>>, _ x: Variable<S>) -> Variable<S> {
        output.apply(parameters, features(parameters, x))
    }
}
