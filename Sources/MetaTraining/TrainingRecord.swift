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
