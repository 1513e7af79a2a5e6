import MetaTensor
import MetaAutodiff
import MetaRandom

/// A layer: a pure function `apply(parameters, input)` of explicit parameters, plus the
/// parameters it starts from. Layers hold only their configuration and their name, which
/// prefixes the names of their parameters (`name.weight`).
public protocol Layer: Sendable {
    var name: String { get }
    /// The initial parameters, named and in order, drawn from `stream`.
    func initialParameters<S: TensorScalar>(using stream: inout RandomStream) -> [(String, Tensor<S>)]
    func apply<S: TensorScalar>(_ parameters: Parameters<Variable<S>>, _ x: Variable<S>) -> Variable<S>
}

/// `y = x Wᵀ + b` with `W: [outputs, inputs]` (PyTorch's layout), over the last axis of `x`.
public struct Dense: Layer {
    public var name: String, inputs: Int, outputs: Int
    public var weightInitializer: Initializer, biasInitializer: Initializer

    public init(_ name: String, inputs: Int, outputs: Int,
                weightInitializer: Initializer = .glorotUniform, biasInitializer: Initializer = .zeros) {
        self.name = name; self.inputs = inputs; self.outputs = outputs
        self.weightInitializer = weightInitializer; self.biasInitializer = biasInitializer
    }

    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public func initialParameters<S: TensorScalar>(using stream: inout RandomStream) -> [(String, Tensor<S>)] {
        [("\(name).weight", weightInitializer.make([outputs, inputs], fanIn: inputs, fanOut: outputs, using: &stream)),
         ("\(name).bias", biasInitializer.make([outputs], fanIn: inputs, fanOut: outputs, using: &stream))]
    }

    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public func apply<S: TensorScalar>(_ p: Parameters<Variable<S>>, _ x: Variable<S>) -> Variable<S> {
        require(x.shape.last == inputs, "shape error in \(name): input \(x.shape), expected last dimension \(inputs)")
        return Variable.matmul(x, p["\(name).weight"], transposeB: true) + p["\(name).bias"]
    }
}

/// 2-D convolution with a bias, NCHW, square kernels: `weight [out, in, k, k]`, `bias [out]`.
public struct Conv2D: Layer {
    public var name: String, inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int, padding: Int
    public var weightInitializer: Initializer, biasInitializer: Initializer

    public init(_ name: String, inChannels: Int, outChannels: Int, kernelSize: Int = 3, stride: Int = 1, padding: Int = 1,
                weightInitializer: Initializer = .glorotUniform, biasInitializer: Initializer = .zeros) {
        self.name = name; self.inChannels = inChannels; self.outChannels = outChannels
        self.kernelSize = kernelSize; self.stride = stride; self.padding = padding
        self.weightInitializer = weightInitializer; self.biasInitializer = biasInitializer
    }

    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public func initialParameters<S: TensorScalar>(using stream: inout RandomStream) -> [(String, Tensor<S>)] {
        let field = kernelSize * kernelSize
        return [("\(name).weight", weightInitializer.make([outChannels, inChannels, kernelSize, kernelSize],
                                                         fanIn: inChannels * field, fanOut: outChannels * field, using: &stream)),
                ("\(name).bias", biasInitializer.make([outChannels], fanIn: inChannels * field, fanOut: outChannels * field,
                                                      using: &stream))]
    }

    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public func apply<S: TensorScalar>(_ p: Parameters<Variable<S>>, _ x: Variable<S>) -> Variable<S> {
        let y = Variable.conv2d(x, p["\(name).weight"], stride: stride, padding: padding)
        return y + p["\(name).bias"].reshaped([1, outChannels, 1, 1])
    }
}

/// How batch normalisation obtains its statistics.
public enum BatchNormMode: String, Sendable, Hashable, CaseIterable {
    /// Normalise with the current batch's mean and variance, at training and at evaluation
    /// alike (transductive). This is what the MAML reference code does: each task's support
    /// and query sets are normalised with their own statistics.
    case batchStatistics = "batch-statistics"
    /// Non-transductive: training normalises with the batch's statistics, as
    /// ``batchStatistics`` does, while the trainer folds those statistics into running means
    /// and variances (the parameters `NAME.running_mean` and `NAME.running_var`, which no
    /// gradient moves; see ``BatchNorm/runningMomentum``); queries scored after adaptation are
    /// normalised with the running statistics, each example on its own
    /// (``Model/predict(_:_:)``), as batch norm's inference mode does (Ioffe & Szegedy 2015, §3.1).
    case runningStatistics = "running-statistics"
}

/// Batch normalisation over every axis but the channel axis (1), with learnable `scale`
/// (γ, ones) and `offset` (β, zeros): `y = γ (x − μ) / √(σ² + ε) + β`.
///
/// ``apply(_:_:)`` always normalises with the batch's statistics. In the
/// ``BatchNormMode/runningStatistics`` mode the layer also has the running statistics
/// `running_mean` (zeros) and `running_var` (ones), used by
/// ``applyWithRunningStatistics(_:_:)`` (see `BatchNorm+RunningStatistics.swift`).
///
/// The variance is computed in two passes (mean first, then the mean squared deviation)
/// rather than as E[x²] − E[x]², which cancels catastrophically in `Float`.
public struct BatchNorm: Layer {
    public var name: String, channels: Int, epsilon: Double, mode: BatchNormMode

    public init(_ name: String, channels: Int, epsilon: Double = 1e-5, mode: BatchNormMode = .batchStatistics) {
        self.name = name; self.channels = channels; self.epsilon = epsilon; self.mode = mode
    }

    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public func initialParameters<S: TensorScalar>(using stream: inout RandomStream) -> [(String, Tensor<S>)] {
        var entries: [(String, Tensor<S>)] = [("\(name).scale", Tensor(repeating: 1, shape: [channels])),
                                              ("\(name).offset", Tensor(zeros: [channels]))]
        if mode == .runningStatistics {
            entries += [(runningMeanName, Tensor(zeros: [channels])), (runningVarianceName, Tensor(repeating: 1, shape: [channels]))]
        }
        return entries
    }

    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public func apply<S: TensorScalar>(_ p: Parameters<Variable<S>>, _ x: Variable<S>) -> Variable<S> {
        require(x.rank >= 2 && x.shape[1] == channels,
                     "shape error in \(name): input \(x.shape), expected \(channels) channels on axis 1")
        let axes = [0] + Array(2..<x.rank)
        var paramShape = [Int](repeating: 1, count: x.rank); paramShape[1] = channels
        let mean = x.mean(alongAxes: axes, keepingDimensions: true)
        let centered = x - mean
        let variance = centered.squared().mean(alongAxes: axes, keepingDimensions: true)
        // γ/√(σ² + ε) is formed on the small [1, C, 1, …] tensor, so the full-size work is one
        // subtraction, one square, one product and one sum.
        let gain = (variance + S(epsilon)).pow(-0.5) * p["\(name).scale"].reshaped(paramShape)
        return centered * gain + p["\(name).offset"].reshaped(paramShape)
    }
}
