import MetaTensor
import MetaAutodiff

/// The sinusoid-regression network of the MAML paper (Finn et al. 2017, §5.1): 1 → 40 → 40 → 1
/// with ReLU, on inputs `[n, 1]`.
public struct SineMLP: Model {
    public let hidden: [Int]
    public let layers: [any Layer]

    public init(hidden: [Int] = [40, 40]) {
        self.hidden = hidden
        let sizes = [1] + hidden + [1]
        var layers: [any Layer] = []
        for i in 0..<(sizes.count - 1) {
            let name = i == sizes.count - 2 ? "head" : "dense\(i + 1)"
            layers.append(Dense(name, inputs: sizes[i], outputs: sizes[i + 1]))
        }
        self.layers = layers
    }

    public var headParameterNames: [String] { ["head.weight", "head.bias"] }

    /// Dense layers and ReLU only: a leading task axis batches cleanly (see `Model`).
    public var supportsTaskBatching: Bool { true }

    /// The last hidden layer's activations.
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
