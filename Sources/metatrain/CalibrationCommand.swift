import ArgumentParser
import Foundation
import MetaAlgorithms
import MetaCheckpoint
import MetaConfig
import MetaTelemetry
import MetaTraining

struct CalibrationCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibration",
        abstract: "Measure how well a trained model's uncertainty matches held-out test tasks.",
        discussion: """
            Adapts on each test task's support set (the configuration's evaluation steps) and scores \
            the query targets under the model's predictive distribution. Regression: the fraction of \
            targets inside the central 50/90/95% intervals and the negative log-likelihood per point; a \
            Bayesian learner (abml) uses its posterior predictive mixture, any other learner one Gaussian \
            with a constant variance fitted on as many validation tasks. Classification: accuracy, NLL \
            and the expected calibration error (15 bins). Means over the tasks with 95% intervals; the \
            tasks are the evaluation's (fixed evaluation seed). With --compare, a second model is \
            scored on the same tasks and the paired difference of the per-task NLLs (this − compared) \
            is printed with its 95% interval: an interval that excludes 0 shows one model's NLL lower.
            """)

    @Option(name: .long, help: "A run directory: its newest checkpoint that verifies.")
    var runDir: String?

    @Option(name: .long, help: "A checkpoint file.")
    var checkpoint: String?

    @Option(name: .long, help: "Test tasks (default: the configuration's, 600).")
    var tasks: Int?

    @Option(name: .long, help: "Posterior draws per prediction of a Bayesian learner (default: the configuration's inner.samples).")
    var samples: Int?

    @Option(name: .long, help: "A second checkpoint file or run directory (its newest checkpoint) to score on the same tasks and compare by NLL.")
    var compare: String?

    @Flag(name: .long, help: "Print one JSON object (CalibrationReport; with --compare, {report, compared, nllDifference}) instead of the table.")
    var json = false

    @OptionGroup var compute: ComputeOptions

    func validate() throws {
        guard (runDir == nil) != (checkpoint == nil) else { throw ValidationError("give exactly one of --run-dir and --checkpoint") }
        let taskRange = max(2, ConfigLimits.evaluationTasks.lowerBound)...ConfigLimits.evaluationTasks.upperBound
        if let tasks, !taskRange.contains(tasks) {
            throw ValidationError("--tasks must be between \(taskRange.lowerBound) and \(taskRange.upperBound), got \(tasks)")
        }
        if let samples, !ConfigLimits.posteriorSamples.contains(samples) {
            throw ValidationError("--samples must be between \(ConfigLimits.posteriorSamples.lowerBound) and \(ConfigLimits.posteriorSamples.upperBound), got \(samples)")
        }
    }

    /// Both models' reports and the paired NLL difference (``CalibrationCommand/compare``).
    struct Comparison: Codable {
        var report: CalibrationReport
        var compared: CalibrationReport
        /// Mean over the tasks of report's NLL − compared's, with its 95 % interval.
        var nllDifference: CalibrationReport.Figure
    }

    /// A checkpoint's configuration (with --samples applied), its trainer and its parameters.
    func load(_ found: FoundCheckpoint) throws -> (config: RunConfiguration, trainer: MetaTrainer<Float>) {
        for s in found.skipped { FileDescriptorOutput.standardError("warning: skipped \(s)\n") }
        var config: RunConfiguration
        do { config = try found.checkpoint.configuration() } catch { throw RunError("the checkpoint's configuration: \(error)") }
        do { try found.checkpoint.checkParametersFit(config) } catch let error as CheckpointError { throw RunError(error.description) }
        let trainer: MetaTrainer<Float>
        do { trainer = try MetaTrainer<Float>(configuration: config) } catch { throw RunError.taskFamily(error) }
        if let samples { config.inner.samples = samples }
        return (config, trainer)
    }

    func run() throws {
        compute.apply()
        let found = try runDir.map { try FoundCheckpoint.newest(inRunDirectory: URL(fileURLWithPath: $0)) }
            ?? FoundCheckpoint.file(URL(fileURLWithPath: checkpoint!))
        let (config, trainer) = try load(found)
        let count = tasks ?? config.evaluationTasks
        if !json {
            print("calibration of \(config.name) at iteration \(found.checkpoint.iteration) on \(count) test tasks "
                  + "(seed \(config.evaluationSeed))…")
        }
        let report = Calibration.run(learner: config.algorithm.learner, model: trainer.model, parameters: found.checkpoint.parameters,
                                     family: trainer.evaluationFamily, seed: config.evaluationSeed, tasks: count,
                                     steps: config.inner.evaluationSteps, inner: config.inner)
        guard let compare else { return try output(report) }
        let other: FoundCheckpoint
        do { other = try FoundCheckpoint.at(path: compare) } catch let error as CheckpointError { throw RunError("--compare: \(error.description)") }
        let (otherConfig, otherTrainer) = try load(other)
        guard (otherConfig.evaluationFamily ?? otherConfig.family) == (config.evaluationFamily ?? config.family),
              otherConfig.evaluationSeed == config.evaluationSeed else {
            throw RunError("--compare: \(otherConfig.name) is evaluated on other tasks than \(config.name) (task family or evaluation "
                           + "seed differ); compare checkpoints of the same task family and evaluation seed")
        }
        if !json { print(report.table + "\n\ncompared with \(otherConfig.name) at iteration \(other.checkpoint.iteration) on the same tasks…") }
        let compared = Calibration.run(learner: otherConfig.algorithm.learner, model: otherTrainer.model,
                                       parameters: other.checkpoint.parameters, family: otherTrainer.evaluationFamily,
                                       seed: otherConfig.evaluationSeed, tasks: count, steps: otherConfig.inner.evaluationSteps,
                                       inner: otherConfig.inner)
        let difference = Calibration.pairedDifference(report.taskNLL ?? [], compared.taskNLL ?? [])
        if json { return try output(Comparison(report: report, compared: compared, nllDifference: difference)) }
        print(compared.table)
        let verdict = abs(difference.mean) <= difference.ci95 ? "the interval contains 0: neither is shown better"
            : difference.mean < 0 ? "the interval excludes 0: \(config.name)'s NLL is lower"
            : "the interval excludes 0: \(otherConfig.name)'s NLL is lower"
        print("\npaired nll difference (this − compared) over \(count) tasks: " + String(format: "%.4f ± %.4f", difference.mean, difference.ci95)
              + " (\(verdict))")
    }

    /// Prints `value` as one JSON object, or a report's table.
    func output<T: Encodable>(_ value: T) throws {
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(value), as: UTF8.self))
        } else if let report = value as? CalibrationReport {
            print(report.table)
        }
    }
}
