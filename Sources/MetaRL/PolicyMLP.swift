import MetaTensor
import MetaAutodiff
import MetaNN

/// The policy network of Finn et al. 2017 §5.3: observations `[n, 2]` → two hidden layers of
/// ReLU units (100 each in the paper) → action means `[n, 2]`. Weights Glorot-uniform, biases
/// zero, as rllab's MLP. The Gaussian's log standard deviation is a separate parameter
/// (``GaussianPolicy/logStdName``) that the learner adds.
public struct PolicyMLP: Model {
    public let inputs: Int, hidden: [Int], outputs: Int
    public let layers: [any Layer]

    public init(inputs: Int = 2, hidden: [Int] = [100, 100], outputs: Int = 2) {
        self.inputs = inputs; self.hidden = hidden; self.outputs = outputs
        let sizes = [inputs] + hidden + [outputs]
        layers = (0..<(sizes.count - 1)).map { i -> any Layer in
            Dense(i == sizes.count - 2 ? "head" : "dense\(i + 1)", inputs: sizes[i], outputs: sizes[i + 1])
        }
    }

    public var headParameterNames: [String] { ["head.weight", "head.bias"] }

    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public func features<S: TensorScalar>(_ p: Parameters<Variable<S>>, _ x: Variable<S>) -> Variable<S> {
        var h = x
        for layer in layers.dropLast() { h = layer.apply(p, h).relu() }
        return h
    }

    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public func apply<S: TensorScalar>(_ p: Parameters<Variable<S>>, _ x: Variable<S>) -> Variable<S> {
        layers[layers.count - 1].apply(p, features(p, x))
    }
}
