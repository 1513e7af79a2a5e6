import MetaTensor
import MetaNN

/// What a shard of tasks contributes to a meta-update: the block sums of its tasks'
/// meta-gradients (see ``MetaGradient``) and each task's query loss and metric, in task order.
/// More generally, the answer to one round of an ``IterationProgram`` for a run of items:
/// block sums, or (for a request of scalars) each item's scalars instead.
///
/// A shard is whole reduction blocks, the first starting at a block boundary of the
/// meta-batch (a whole meta-batch is one such shard), so its block sums are exactly the ones
/// the meta-batch's reduction needs.
public struct ShardResult<S: TensorScalar>: Sendable {
    /// One sum per reduction block of the shard, in block order; empty for a result of scalars.
    public var blockSums: [Parameters<Tensor<S>>]
    /// Query loss after adaptation, per task.
    public var losses: [Double]
    /// Query metric after adaptation (MSE or accuracy), per task.
    public var metrics: [Double]
    /// Each item's scalars, for a request of scalars (``WorkRequest/scalarsPerItem``); empty otherwise.
    public var scalars: [[Double]]

    public init(blockSums: [Parameters<Tensor<S>>], losses: [Double], metrics: [Double]) {
        require(blockSums.count == (losses.count + MetaGradient.blockSize - 1) / MetaGradient.blockSize && losses.count == metrics.count,
                "ShardResult: \(blockSums.count) block sums, \(losses.count) losses, \(metrics.count) metrics")
        self.blockSums = blockSums; self.losses = losses; self.metrics = metrics; scalars = []
    }

    /// A result of scalars: one vector per item, with each item's loss and metric.
    public init(scalars: [[Double]], losses: [Double], metrics: [Double]) {
        require(scalars.count == losses.count && losses.count == metrics.count,
                "ShardResult: \(scalars.count) scalar vectors, \(losses.count) losses, \(metrics.count) metrics")
        blockSums = []; self.losses = losses; self.metrics = metrics; self.scalars = scalars
    }

    /// The shard of per-task results given in task order.
    public init(_ results: [TaskResult<S>]) {
        self.init(blockSums: MetaGradient.blockSums(results.map(\.metaGradient)), losses: results.map(\.loss),
                  metrics: results.map(\.metric))
    }
}
