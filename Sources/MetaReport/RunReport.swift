import Foundation
import MetaAlgorithms

/// What a run directory says about a training run, read from the contents of its files:
/// `config.yaml`, `metrics.jsonl` (written by MetaTraining's `TrainingLoop` through its
/// `MetricsLog`) and `evaluation.json` (an ``EvaluationReport`` written by its `RunDriver`).
///
/// Reading is a pure function of those contents (``RunReport/init(config:metrics:evaluation:)``);
/// ``ReportWriter`` does the file I/O and ``ReportPage`` the rendering.
///
/// Contract:
/// - Records of unknown kinds and unknown keys are ignored, so newer writers stay readable.
/// - A line that is not a JSON object, or a known kind without a numeric `iteration` (or a
///   validation record without `mean`), is skipped and counted in ``skippedLines``.
/// - A run resumed after an interruption repeats iterations: for each kind the last record of
///   an iteration wins, and the series are sorted by iteration.
/// - `elapsed_seconds` restarts at 0 in every process of a resumed run; ``TrainingPoint/wallSeconds``
///   adds the time of the earlier processes, so wall time only goes forward.
public struct RunReport: Sendable {
    /// One `"kind": "train"` record: averages over the iterations since the previous one.
    public struct TrainingPoint: Sendable, Equatable {
        public var iteration: Int
        public var metaLoss: Double?
        public var trainMetric: Double?
        /// "accuracy" or "mse".
        public var metric: String?
        public var tasksPerSecond: Double?
        /// Seconds since the writing process started.
        public var elapsedSeconds: Double?
        /// Seconds since the run first started, summed over the processes of a resumed run.
        public var wallSeconds: Double?
        public var workers: Int?
        public var coordinatorFraction: Double?
        public var wireBytesPerIteration: Double?
        public var reassignedShards: Int?
        public var checkpointStallSeconds: Double?
    }

    /// One `"kind": "validation"` record: the metric after `steps` inner steps on validation tasks.
    public struct ValidationPoint: Sendable, Equatable {
        public var iteration: Int
        public var split: String
        public var metric: String?
        public var steps: Int?
        public var mean: Double
        public var ci95: Double?
    }

    /// One `"kind": "checkpoint"` record. Periodic checkpoints are written in the background and
    /// have write time, size and the training stall they caused; the final one has only a path.
    public struct Checkpoint: Sendable, Equatable {
        public var iteration: Int
        public var path: String?
        public var elapsedSeconds: Double?
        /// Seconds since the run first started, as ``TrainingPoint/wallSeconds``.
        public var wallSeconds: Double?
        public var writeSeconds: Double?
        public var bytes: Int?
        public var stallSeconds: Double?
    }

    /// `config.yaml` verbatim, or nil when the file is missing.
    public var config: String?
    public var training: [TrainingPoint] = []
    public var validation: [ValidationPoint] = []
    public var checkpoints: [Checkpoint] = []
    /// The final evaluation, or nil when `evaluation.json` is missing or unreadable.
    public var evaluation: EvaluationReport?
    /// Why `evaluation.json` could not be read, when it exists but does not decode.
    public var evaluationProblem: String?
    /// Non-empty lines of `metrics.jsonl` that could not be read.
    public var skippedLines = 0
    /// Records replaced by a later record of the same kind and iteration (a resumed run).
    public var replacedRecords = 0
    /// How often `elapsed_seconds` started again from a smaller value: the processes of a
    /// resumed run after the first.
    public var resumptions = 0

    /// The metric of the run ("accuracy" or "mse"), from the first record that names one.
    public var metric: String? {
        training.lazy.compactMap(\.metric).first ?? validation.lazy.compactMap(\.metric).first ?? evaluation?.metric
    }

    /// Whether any training, validation or checkpoint record was read.
    public var hasMetrics: Bool { !training.isEmpty || !validation.isEmpty || !checkpoints.isEmpty }

    /// Reads a run from its files' contents.
    /// - Parameters:
    ///   - config: the text of `config.yaml`, or nil when it is missing.
    ///   - metrics: the text of `metrics.jsonl` (possibly empty).
    ///   - evaluation: the bytes of `evaluation.json`, or nil when it is missing.
    public init(config: String?, metrics: String, evaluation: Data?) {
        self.config = config
        var trainingByIteration: [Int: TrainingPoint] = [:]
        var validationByKey: [String: ValidationPoint] = [:]
        var checkpointsByKey: [String: Checkpoint] = [:]
        // Wall time: each process's elapsed_seconds starts near 0; a drop starts a new process.
        var offset = 0.0, lastElapsed = -Double.infinity

        for line in metrics.split(whereSeparator: \.isNewline) {
            let text = line.trimmingCharacters(in: .whitespaces)
            if text.isEmpty { continue }
            guard let object = JSONValue.parseObject(text) else { skippedLines += 1; continue }
            guard case .string(let kind)? = object["kind"] else { skippedLines += 1; continue }
            let known = ["train", "validation", "checkpoint"]
            guard known.contains(kind) else { continue }
            guard let iteration = object["iteration"]?.int else { skippedLines += 1; continue }

            let elapsed = object["elapsed_seconds"]?.double
            var wall: Double?
            if let elapsed {
                if elapsed < lastElapsed { offset += lastElapsed; resumptions += 1 }
                lastElapsed = elapsed
                wall = offset + elapsed
            }

            switch kind {
            case "train":
                let point = TrainingPoint(
                    iteration: iteration, metaLoss: object["meta_loss"]?.double, trainMetric: object["train_metric"]?.double,
                    metric: object["metric"]?.string, tasksPerSecond: object["tasks_per_second"]?.double,
                    elapsedSeconds: elapsed, wallSeconds: wall, workers: object["workers"]?.int,
                    coordinatorFraction: object["coordinator_fraction"]?.double,
                    wireBytesPerIteration: object["wire_bytes_per_iteration"]?.double,
                    reassignedShards: object["reassigned_shards"]?.int,
                    checkpointStallSeconds: object["checkpoint_stall_seconds"]?.double)
                if trainingByIteration.updateValue(point, forKey: iteration) != nil { replacedRecords += 1 }
            case "validation":
                guard let mean = object["mean"]?.double else { skippedLines += 1; continue }
                let split = object["split"]?.string ?? "validation"
                let point = ValidationPoint(iteration: iteration, split: split, metric: object["metric"]?.string,
                                            steps: object["steps"]?.int, mean: mean, ci95: object["ci95"]?.double)
                if validationByKey.updateValue(point, forKey: "\(iteration)/\(split)") != nil { replacedRecords += 1 }
            default:
                let path = object["path"]?.string
                let entry = Checkpoint(iteration: iteration, path: path, elapsedSeconds: elapsed, wallSeconds: wall,
                                       writeSeconds: object["write_seconds"]?.double, bytes: object["bytes"]?.int,
                                       stallSeconds: object["stall_seconds"]?.double)
                if checkpointsByKey.updateValue(entry, forKey: "\(iteration)/\(path ?? "")") != nil { replacedRecords += 1 }
            }
        }
        training = trainingByIteration.values.sorted { $0.iteration < $1.iteration }
        validation = validationByKey.values.sorted { ($0.iteration, $0.split) < ($1.iteration, $1.split) }
        checkpoints = checkpointsByKey.values.sorted { ($0.iteration, $0.path ?? "") < ($1.iteration, $1.path ?? "") }

        if let evaluation {
            do {
                self.evaluation = try JSONDecoder().decode(EvaluationReport.self, from: evaluation)
            } catch {
                evaluationProblem = "evaluation.json could not be read: \(Self.describe(error))"
            }
        }
    }

    private static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let context): return context.debugDescription
        case DecodingError.keyNotFound(let key, _): return "missing key \"\(key.stringValue)\""
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return "wrong type at \(path.isEmpty ? "top level" : path)"
        default: return "\(error)"
        }
    }
}
