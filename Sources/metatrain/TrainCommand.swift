import ArgumentParser
import Foundation
import MetaTensor
import MetaNN
import MetaAlgorithms
import MetaConfig

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Meta-train a model in this process, then evaluate it on held-out tasks.",
        discussion: "Presets: \(RunConfiguration.presets.keys.sorted().joined(separator: ", ")).")

    @OptionGroup var selection: RunSelection

    @Option(name: .long, help: "Meta-iterations (default: the preset's).")
    var iterations: Int?

    @Option(name: .long, help: "The run directory for metrics and parameters.")
    var runDir: String?

    @Option(name: .long, help: "The training seed (default: the preset's).")
    var seed: UInt64?

    @Option(name: .long, help: "Held-out tasks in the final evaluation (default: the preset's, 600).")
    var evalTasks: Int?

    @Option(name: .long, help: "Write a checkpoint every N iterations (iteration-N.ckpt; default: never before the end).")
    var checkpointEvery: Int?

    @OptionGroup var compute: ComputeOptions

    func validate() throws {
        if let iterations, iterations < 1 { throw ValidationError("--iterations must be at least 1, got \(iterations)") }
        if let evalTasks, evalTasks < 1 { throw ValidationError("--eval-tasks must be at least 1, got \(evalTasks)") }
        if let checkpointEvery, checkpointEvery < 1 { throw ValidationError("--checkpoint-every must be at least 1, got \(checkpointEvery)") }
    }

    func run() throws {
        compute.apply()
        var config = try selection.load()
        if let iterations { config.iterations = iterations }
        if let seed { config.seed = seed }
        if let evalTasks { config.evaluationTasks = evalTasks }
        let dir = URL(fileURLWithPath: runDir ?? "runs/\(config.name)")
        do {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        } catch {
            throw RunError("cannot create run directory \(dir.path): \(error.localizedDescription)")
        }
        let log = try MetricsLog(runDirectory: dir)
        let trainer: MetaTrainer<Float>
        do { trainer = try MetaTrainer<Float>(configuration: config) } catch { throw RunError.taskFamily(error) }
        try ConfigFile.yaml(config).write(to: dir.appendingPathComponent("config.yaml"), atomically: true, encoding: .utf8)
        var state = trainer.initialState()
        print("metatrain: \(config.name), \(config.iterations) iterations, meta-batch \(config.metaBatchSize), "
              + "\(state.parameters.scalarCount) parameters, seed \(config.seed)")
        print("hyper-parameters: \(config.source)")
        print("run directory: \(dir.path); OpenBLAS \(BLASRuntime.coreName), \(compute.threads) thread(s)")

        let progress = ProgressReporter(total: config.iterations)
        var windowLoss = 0.0, windowMetric = 0.0, windowCount = 0
        // Loss, metric and tasks/s are all averaged over the iterations since the last report.
        var windowStart = progress.elapsed
        while state.iteration < config.iterations {
            let (next, m) = trainer.step(state)
            state = next
            windowLoss += m.metaLoss; windowMetric += m.metric; windowCount += 1
            let now = progress.elapsed
            if state.iteration % 100 == 0 || state.iteration == config.iterations {
                let loss = windowLoss / Double(windowCount), metric = windowMetric / Double(windowCount)
                let tasksPerSecond = Double(windowCount * config.metaBatchSize) / max(now - windowStart, 1e-9)
                log.write(TrainingRecord(iteration: state.iteration, metaLoss: loss, trainMetric: metric,
                                         metric: config.metric, tasksPerSecond: tasksPerSecond, elapsedSeconds: now))
                progress.update(done: state.iteration, loss: loss, metricName: config.metric, metric: metric,
                                tasksPerSecond: tasksPerSecond)
                windowLoss = 0; windowMetric = 0; windowCount = 0
            }
            if let every = checkpointEvery, state.iteration % every == 0 && state.iteration < config.iterations {
                let url = dir.appendingPathComponent("iteration-\(state.iteration).\(RunCheckpoint.fileExtension)")
                try RunCheckpoint(iteration: state.iteration, configuration: config, parameters: state.parameters).write(to: url)
                log.write(CheckpointRecord(iteration: state.iteration, path: url.lastPathComponent, elapsedSeconds: progress.elapsed))
            }
            if state.iteration % config.validationInterval == 0 && state.iteration < config.iterations {
                let v = trainer.evaluate(state.parameters, split: .validation, tasks: config.validationTasks)
                let last = v.steps[min(config.inner.steps, v.steps.count - 1)]
                log.write(ValidationRecord(iteration: state.iteration, split: "validation", metric: v.metric,
                                           steps: config.inner.steps, mean: last.mean, ci95: last.ci95))
                progress.message("validation at \(state.iteration): \(v.metric) after \(config.inner.steps) step(s) "
                                 + "\(format(last.mean, 4)) ± \(format(last.ci95, 4)) (\(config.validationTasks) tasks)")
            }
            // A new window starts after any validation or checkpoint, so tasks/s counts training only.
            if windowCount == 0 { windowStart = progress.elapsed }
        }
        let checkpointURL = dir.appendingPathComponent("final.\(RunCheckpoint.fileExtension)")
        try RunCheckpoint(iteration: state.iteration, configuration: config, parameters: state.parameters).write(to: checkpointURL)
        print("trained in \(duration(progress.elapsed)); checkpoint written to \(checkpointURL.path)")

        print("evaluating on \(config.evaluationTasks) held-out test tasks (seed \(config.evaluationSeed))…")
        let report = trainer.evaluate(state.parameters, split: .test, tasks: config.evaluationTasks)
        print(report.table)
        let encoder = JSONEncoder(); encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(report).write(to: dir.appendingPathComponent("evaluation.json"))
    }
}

struct TrainingRecord: Encodable {
    var kind = "train"
    var iteration: Int, metaLoss: Double, trainMetric: Double, metric: String, tasksPerSecond: Double, elapsedSeconds: Double
    enum CodingKeys: String, CodingKey {
        case kind, iteration, metaLoss = "meta_loss", trainMetric = "train_metric", metric
        case tasksPerSecond = "tasks_per_second", elapsedSeconds = "elapsed_seconds"
    }
}

struct CheckpointRecord: Encodable {
    var kind = "checkpoint"
    var iteration: Int, path: String, elapsedSeconds: Double
    enum CodingKeys: String, CodingKey { case kind, iteration, path, elapsedSeconds = "elapsed_seconds" }
}

struct ValidationRecord: Encodable {
    var kind = "validation"
    var iteration: Int, split: String, metric: String, steps: Int, mean: Double, ci95: Double
}
