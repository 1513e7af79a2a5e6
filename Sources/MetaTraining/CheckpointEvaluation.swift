import Foundation
import MetaAlgorithms
import MetaCheckpoint

/// A checkpoint scored on held-out test tasks, as `metatrain eval` does it.
///
/// The evaluation protocol (``MetaTrainer/evaluate(_:split:tasks:steps:)``): adapt on each test
/// task's support set and measure the query metric after every inner step 0…K, the mean over
/// the tasks with a 95% confidence interval. Tasks come from the configuration's fixed
/// evaluation seed, so every model is scored on the same tasks, and the result does not
/// depend on the process or thread count.
public struct CheckpointEvaluation {
    /// How a report is printed.
    public enum Format: Sendable {
        /// ``EvaluationReport/table``.
        case text
        /// One JSON object on one line, keys sorted: metric, tasks, axis, steps[k] = {mean, ci95}.
        case json
    }

    /// The checkpoint's configuration.
    public let configuration: RunConfiguration
    /// The checkpoint's iteration.
    public let iteration: Int
    /// The number of test tasks.
    public let tasks: Int
    /// Inner steps K; nil for the configuration's.
    public let steps: Int?
    private let checkpoint: RunCheckpoint
    private let trainer: MetaTrainer<Float>

    /// Prepares the evaluation of `checkpoint`: parses its configuration, checks that its
    /// parameters fit the configuration's model, and builds the task family (loading its data set).
    /// - Parameters:
    ///   - tasks: the number of test tasks; nil for the configuration's `evaluationTasks`.
    ///   - steps: inner steps K; nil for the configuration's.
    /// - Throws: ``RunError`` in one line: the configuration does not parse in this build, the
    ///   parameters do not fit its model (naming the first mismatch), or the task family cannot
    ///   be built (``RunError/taskFamily(_:)``, with what to do about missing Omniglot data).
    public init(_ checkpoint: RunCheckpoint, tasks: Int? = nil, steps: Int? = nil) throws {
        let config: RunConfiguration
        do { config = try checkpoint.configuration() } catch { throw RunError("the checkpoint's configuration: \(error)") }
        do { try checkpoint.checkParametersFit(config) } catch let error as CheckpointError { throw RunError(error.description) }
        do { trainer = try MetaTrainer<Float>(configuration: config) } catch { throw RunError.taskFamily(error) }
        configuration = config
        iteration = checkpoint.iteration
        self.checkpoint = checkpoint
        self.tasks = tasks ?? config.evaluationTasks
        self.steps = steps
    }

    /// The line announcing the evaluation: "evaluating NAME at iteration N on T test tasks (seed S)…".
    public var announcement: String {
        "evaluating \(configuration.name) at iteration \(iteration) on \(tasks) test tasks (seed \(configuration.evaluationSeed))…"
    }

    /// Runs the evaluation protocol on the test split; deterministic.
    public func run() -> EvaluationReport {
        trainer.evaluate(checkpoint.parameters, split: .test, tasks: tasks, steps: steps)
    }

    /// `report` as `format`, without a trailing newline.
    public static func render(_ report: EvaluationReport, as format: Format) throws -> String {
        switch format {
        case .text:
            return report.table
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            return String(decoding: try encoder.encode(report), as: UTF8.self)
        }
    }
}
