import ArgumentParser
import Foundation
import MetaConfig
import MetaCheckpoint
import MetaTelemetry
import MetaTraining

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a trained model on held-out test tasks.",
        discussion: """
            Adapts on each test task's support set and reports the query metric after every inner step \
            0…K: the mean over N tasks (600 by default, as in the MAML reference code) with a 95% \
            confidence interval (1.96·σ/√N). Tasks come from the configuration's fixed evaluation seed, \
            so every model is scored on the same tasks.
            """)

    @Option(name: .long, help: "A run directory: its newest checkpoint that verifies.")
    var runDir: String?

    @Option(name: .long, help: "A checkpoint file.")
    var checkpoint: String?

    @Option(name: .long, help: "Test tasks (default: the configuration's, 600).")
    var tasks: Int?

    @Option(name: .long, help: "Inner steps K at evaluation (default: the configuration's).")
    var steps: Int?

    @Flag(name: .long, help: "Print one JSON object: metric, tasks, steps[k] = {mean, ci95}.")
    var json = false

    @OptionGroup var compute: ComputeOptions

    func validate() throws {
        guard (runDir == nil) != (checkpoint == nil) else { throw ValidationError("give exactly one of --run-dir and --checkpoint") }
        // The configuration's ranges (README); at least 2 tasks for a confidence interval.
        let taskRange = max(2, ConfigLimits.evaluationTasks.lowerBound)...ConfigLimits.evaluationTasks.upperBound
        if let tasks, !taskRange.contains(tasks) {
            throw ValidationError("--tasks must be between \(taskRange.lowerBound) and \(taskRange.upperBound), got \(tasks)")
        }
        if let steps, !ConfigLimits.innerSteps.contains(steps) {
            throw ValidationError("--steps must be between \(ConfigLimits.innerSteps.lowerBound) and \(ConfigLimits.innerSteps.upperBound), got \(steps)")
        }
    }

    func run() throws {
        compute.apply()
        let found = try runDir.map { try FoundCheckpoint.newest(inRunDirectory: URL(fileURLWithPath: $0)) }
            ?? FoundCheckpoint.file(URL(fileURLWithPath: checkpoint!))
        for s in found.skipped { FileDescriptorOutput.standardError("warning: skipped \(s)\n") }
        let evaluation = try CheckpointEvaluation(found.checkpoint, tasks: tasks, steps: steps)
        if !json { print(evaluation.announcement) }
        print(try CheckpointEvaluation.render(evaluation.run(), as: json ? .json : .text))
    }
}
