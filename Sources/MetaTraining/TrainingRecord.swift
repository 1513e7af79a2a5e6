import MetaTelemetry

/// A `metrics.jsonl` record of training progress: averages over the iterations since the
/// previous record; the distributed figures only for a run through a coordinator.
struct TrainingRecord: Encodable {
    var kind = "train"
    var iteration: Int, metaLoss: Double, trainMetric: Double, metric: String, tasksPerSecond: Double, elapsedSeconds: Double
    var workers: Int?, coordinatorFraction: Double?, wireBytesPerIteration: Double?, reassignedShards: Int?
    var checkpointStallSeconds: Double?
    enum CodingKeys: String, CodingKey {
        case kind, iteration, metaLoss = "meta_loss", trainMetric = "train_metric", metric
        case tasksPerSecond = "tasks_per_second", elapsedSeconds = "elapsed_seconds", workers
        case coordinatorFraction = "coordinator_fraction", wireBytesPerIteration = "wire_bytes_per_iteration"
        case reassignedShards = "reassigned_shards", checkpointStallSeconds = "checkpoint_stall_seconds"
    }
}

extension TrainingRecord {
    /// The record's figures as TensorBoard scalars: `train/meta_loss`, `train/METRIC`,
    /// `train/tasks_per_second`; for a distributed run `cluster/workers`,
    /// `cluster/coordinator_fraction`, `cluster/wire_bytes_per_iteration`,
    /// `cluster/reassigned_shards`; `checkpoint/stall_seconds` after a checkpoint.
    var scalars: [TensorBoardEvent.Scalar] {
        var out: [TensorBoardEvent.Scalar] = [.init("train/meta_loss", metaLoss), .init("train/\(metric)", trainMetric),
                                              .init("train/tasks_per_second", tasksPerSecond)]
        if let workers { out.append(.init("cluster/workers", Double(workers))) }
        if let coordinatorFraction { out.append(.init("cluster/coordinator_fraction", coordinatorFraction)) }
        if let wireBytesPerIteration { out.append(.init("cluster/wire_bytes_per_iteration", wireBytesPerIteration)) }
        if let reassignedShards { out.append(.init("cluster/reassigned_shards", Double(reassignedShards))) }
        if let checkpointStallSeconds { out.append(.init("checkpoint/stall_seconds", checkpointStallSeconds)) }
        return out
    }
}
