import MetaTensor
import MetaAutodiff

extension ConvNet {
    /// The same network with its batch norm in `mode` (the parameters of
    /// ``BatchNormMode/runningStatistics`` add each block's running mean and variance).
    public func withBatchNorm(_ mode: BatchNormMode) -> ConvNet {
        ConvNet(inChannels: inChannels, imageSize: imageSize, filters: filters, ways: ways, downsampling: downsampling,
                pooling: pooling, blocks: blocks, kernelSize: kernelSize, batchNorm: batchNorm, batchNormMode: mode)
    }

    var normalizations: [BatchNorm] { layers.compactMap { $0 as? BatchNorm } }

    /// Each block's `running_mean` and `running_var`, block by block; empty unless the batch
    /// norm mode is ``BatchNormMode/runningStatistics``.
    public var runningStatisticNames: [String] {
        guard batchNormMode == .runningStatistics else { return [] }
        return normalizations.flatMap { [$0.runningMeanName, $0.runningVarianceName] }
    }

    /// With running statistics, every batch norm normalises with them
    /// (``BatchNorm/applyWithRunningStatistics(_:_:)``), so each example's output is its own;
    /// otherwise ``apply(_:_:)``.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public func predict<S: TensorScalar>(_ p: Parameters<Variable<S>>, _ x: Variable<S>) -> Variable<S> {
        guard batchNormMode == .runningStatistics else { return apply(p, x) }
        require(x.rank == 4 && x.shape[1] == inChannels,
                "shape error in ConvNet: input \(x.shape), expected [n, \(inChannels), h, w]")
        let features = encode(p, x) { norm, h in norm.applyWithRunningStatistics(p, h) }
        return layers[layers.count - 1].apply(p, features)
    }

    /// The mean and variance each batch norm of ``apply(_:_:)`` computes on `x` (a forward pass
    /// without a graph), in the order of ``runningStatisticNames``.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public func batchStatistics<S: TensorScalar>(_ p: Parameters<Tensor<S>>, _ x: Tensor<S>) -> [Tensor<S>] {
        guard batchNormMode == .runningStatistics else { return [] }
        let constants = p.map { Variable($0) }
        var statistics: [Tensor<S>] = []
        _ = encode(constants, Variable(x)) { norm, h in
            let s = norm.batchStatistics(h.value)
            statistics += [s.mean, s.variance]
            return norm.apply(constants, h)
        }
        return statistics
    }
}
