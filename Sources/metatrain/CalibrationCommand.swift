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
            tasks are the evaluation's (fixed evaluation seed).
            """)

    @Option(name: .long, help: "A run directory: its newest checkpoint that verifies.")
    var runDir: String?

    @Option(name: .long, help: "A checkpoint file.")
    var checkpoint: String?

    @Option(name: .long, help: "Test tasks (default: the configuration's, 600).")
    var tasks: Int?

    @Option(name: .long, help: "Posterior draws per prediction of a Bayesian learner (default: the configuration's inner.samples).")
    var samples: Int?

    @Flag(name: .long, help: "Print one JSON object (CalibrationReport) instead of the table.")
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

    func run() throws {
        compute.apply()
        let found = try runDir.map { try FoundCheckpoint.newest(inRunDirectory: URL(fileURLWithPath: $0)) }
            ?? FoundCheckpoint.file(URL(fileURLWithPath: checkpoint!))
        for s in found.skipped { FileDescriptorOutput.standardError("warning: skipped \(s)\n") }
        var config: RunConfiguration
        do { config = try found.checkpoint.configuration() } catch { throw RunError("the checkpoint's configuration: \(error)") }
        do { try found.checkpoint.checkParametersFit(config) } catch let error as CheckpointError { throw RunError(error.description) }
        let trainer: MetaTrainer<Float>
        do { trainer = try MetaTrainer<Float>(configuration: config) } catch { throw RunError.taskFamily(error) }
        if let samples { config.inner.samples = samples }
        let count = tasks ?? config.evaluationTasks
        if !json {
            print("calibration of \(config.name) at iteration \(found.checkpoint.iteration) on \(count) test tasks "
                  + "(seed \(config.evaluationSeed))…")
        }
        let report = Calibration.run(learner: config.algorithm.learner, model: trainer.model, parameters: found.checkpoint.parameters,
                                     family: trainer.evaluationFamily, seed: config.evaluationSeed, tasks: count,
                                     steps: config.inner.evaluationSteps, inner: config.inner)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print(report.table)
        }
    }
}
