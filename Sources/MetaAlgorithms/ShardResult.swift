import MetaTensor
import MetaNN

/// What a shard of tasks contributes to a meta-update: the block sums of its tasks'
/// meta-gradients (see ``MetaGradient``) and each task's query loss and metric, in task order.
///
/// A shard is whole reduction blocks, the first starting at a block boundary of the
/// meta-batch (a whole meta-batch is one such shard), so its block sums are exactly the ones
/// the meta-batch's reduction needs.
public struct ShardResult<S: TensorScalar>: Sendable {
    /// One sum per reduction block of the shard, in block order.
    public var blockSums: [Parameters<Tensor<S>>]
    /// Query loss after adaptation, per task.
    public var losses: [Double]
    /// Query metric after adaptation (MSE or accuracy), per task.
    public var metrics: [Double]

    public init(blockSums: [Parameters<Tensor<S>>], losses: [Double], metrics: [Double]) {
        require(blockSums.count == (losses.count + MetaGradient.blockSize - 1) / MetaGradient.blockSize && losses.count == metrics.count,
                "ShardResult: \(blockSums.count) block sums, \(losses.count) losses, \(metrics.count) metrics")
        self.blockSums = blockSums; self.losses = losses; self.metrics = metrics
    }

    /// The shard of per-task results given in task order.
    public init(_ results: [TaskResult<S>]) {
        self.init(blockSums: MetaGradient.blockSums(results.map(\.metaGradient)), losses: results.map(\.loss),
                  metrics: results.map(\.metric))
    }
}
