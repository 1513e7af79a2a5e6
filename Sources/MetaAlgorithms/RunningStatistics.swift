import MetaTensor
import MetaAutodiff
import MetaNN

/// Batch norm's running statistics (``BatchNormMode/runningStatistics``) through meta-training.
///
/// They are parameters of the model (``Model/runningStatisticNames``), so checkpoints hold and
/// verify them with the rest, but no gradient moves them. Each task's step puts, in place of
/// their (zero) meta-gradient, the statistics its query batch is normalised with after
/// adaptation (``record(model:adapted:queryInputs:into:)``); those entries are then reduced with
/// the meta-gradient, in task order by block sums (``MetaGradient``), so their mean over the
/// meta-batch is the same bits whichever worker computed which task. The trainer folds that
/// mean into the running statistics (``fold(_:into:names:momentum:)``) and gives the outer
/// optimizer a zero gradient for them.
///
/// The statistics are those of the query batch under the adapted parameters, because that is the
/// pass the running statistics replace at evaluation; the support steps keep the support's own
/// statistics in training and at evaluation alike.
public enum RunningStatistics {
    /// Replaces the entries of ``Model/runningStatisticNames`` in `metaGradient` by the batch
    /// statistics of `queryInputs` under `adapted` (constants); nothing for other models.
    public static func record<S: TensorScalar>(model: any Model, adapted: Parameters<Variable<S>>, queryInputs: Tensor<S>,
                                               into metaGradient: inout Parameters<Tensor<S>>) {
        let names = model.runningStatisticNames
        guard !names.isEmpty else { return }
        let statistics = model.batchStatistics(adapted.map(\.value), queryInputs)
        for (name, value) in zip(names, statistics) { metaGradient[name] = value }
    }

    /// Splits the reduced meta-batch `gradient` into the optimizer's gradient (zero for `names`)
    /// and the mean batch statistics of `names`.
    public static func split<S: TensorScalar>(_ gradient: Parameters<Tensor<S>>, names: [String])
        -> (gradient: Parameters<Tensor<S>>, statistics: [Tensor<S>]) {
        var g = gradient
        var statistics: [Tensor<S>] = []
        for name in names {
            statistics.append(g[name])
            g[name] = Tensor(zeros: g[name].shape)
        }
        return (g, statistics)
    }

    /// `running ← running + m (batch − running)` for each of `names` in `parameters`, with the
    /// batch statistics in the same order.
    public static func fold<S: TensorScalar>(_ statistics: [Tensor<S>], into parameters: inout Parameters<Tensor<S>>, names: [String],
                                             momentum: Double = BatchNorm.runningMomentum) {
        for (name, batch) in zip(names, statistics) {
            let running = parameters[name]
            parameters[name] = running + (batch - running) * S(momentum)
        }
    }
}
