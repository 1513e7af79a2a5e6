import MetaTensor
import MetaAutodiff

extension BatchNorm {
    /// The share of a new batch's statistics in the running statistics after one update:
    /// `running ← running + m (batch − running)` with m = 0.1, PyTorch's default momentum for
    /// `nn.BatchNorm2d` (its running variance is the unbiased one; here it is the biased
    /// variance that training normalises with).
    public static let runningMomentum = 0.1

    /// The parameter holding the running mean (``BatchNormMode/runningStatistics`` only).
    public var runningMeanName: String { "\(name).running_mean" }
    /// The parameter holding the running variance (``BatchNormMode/runningStatistics`` only).
    public var runningVarianceName: String { "\(name).running_var" }

    /// `y = γ (x − μ_r) / √(σ_r² + ε) + β` with the running statistics μ_r and σ_r² read from
    /// `p`: each example is normalised on its own, so its output does not depend on the rest of
    /// the batch. Differentiable in γ, β, x (and in the statistics, which the learners pass as
    /// constants).
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public func applyWithRunningStatistics<S: TensorScalar>(_ p: Parameters<Variable<S>>, _ x: Variable<S>) -> Variable<S> {
        require(mode == .runningStatistics, "\(name) keeps no running statistics (batch norm mode \(mode.rawValue))")
        require(x.rank >= 2 && x.shape[1] == channels,
                "shape error in \(name): input \(x.shape), expected \(channels) channels on axis 1")
        var paramShape = [Int](repeating: 1, count: x.rank); paramShape[1] = channels
        let mean = p[runningMeanName].reshaped(paramShape)
        let gain = (p[runningVarianceName].reshaped(paramShape) + S(epsilon)).pow(-0.5) * p["\(name).scale"].reshaped(paramShape)
        return (x - mean) * gain + p["\(name).offset"].reshaped(paramShape)
    }

    /// The batch's per-channel mean and (biased) variance, `[channels]` each: the statistics
    /// ``apply(_:_:)`` normalises `x` with, computed the same way (two passes), as constants.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public func batchStatistics<S: TensorScalar>(_ x: Tensor<S>) -> (mean: Tensor<S>, variance: Tensor<S>) {
        require(x.rank >= 2 && x.shape[1] == channels,
                "shape error in \(name): input \(x.shape), expected \(channels) channels on axis 1")
        let v = Variable(x)
        let axes = [0] + Array(2..<x.rank)
        let mean = v.mean(alongAxes: axes, keepingDimensions: true)
        let variance = (v - mean).squared().mean(alongAxes: axes, keepingDimensions: true)
        return (mean.value.reshaped([channels]), variance.value.reshaped([channels]))
    }
}
