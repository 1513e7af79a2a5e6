/// A `metrics.jsonl` record of a checkpoint that could not be written (the run goes on,
/// except for the last checkpoint).
struct CheckpointFailedRecord: Encodable {
    var kind = "checkpoint_failed"
    var iteration: Int, path: String, error: String, elapsedSeconds: Double
    /// The failures so far in this process, this one included.
    var failures: Int
    enum CodingKeys: String, CodingKey {
        case kind, iteration, path, error, elapsedSeconds = "elapsed_seconds", failures
    }
}
