/// A `metrics.jsonl` record of a checkpoint written: periodic ones (in the background) with
/// their write time, size and the training stall they caused; the final one with a path only.
struct CheckpointRecord: Encodable {
    var kind = "checkpoint"
    var iteration: Int, path: String, elapsedSeconds: Double
    var writeSeconds: Double?, bytes: Int?, stallSeconds: Double?
    enum CodingKeys: String, CodingKey {
        case kind, iteration, path, elapsedSeconds = "elapsed_seconds", writeSeconds = "write_seconds", bytes
        case stallSeconds = "stall_seconds"
    }
}
