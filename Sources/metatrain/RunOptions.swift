import ArgumentParser
import Foundation
import MetaAlgorithms
import MetaConfig
import MetaTraining

/// Options of every command that trains (`train`, `coordinator`).
struct RunOptions: ParsableArguments {
    @OptionGroup var selection: RunSelection

    @Option(name: .long, help: "Meta-iterations (default: the preset's).")
    var iterations: Int?

    @Option(name: .long, help: "The run directory for metrics and checkpoints (default: runs/NAME).")
    var runDir: String?

    @Option(name: .long, help: "The training seed (default: the preset's).")
    var seed: UInt64?

    @Option(name: .long, help: "Held-out tasks in the final evaluation (default: the preset's, 600).")
    var evalTasks: Int?

    @Option(name: .long, help: "Write a checkpoint every N iterations (iteration-N.ckpt, in the background; default: only at the end).")
    var checkpointEvery: Int?

    @Option(name: .long, help: "Periodic checkpoints to keep.")
    var keep: Int = 5

    @Flag(name: .long, help: "Continue from the newest checkpoint in the run directory that verifies.")
    var resume = false

    @Flag(name: .long, help: "Start afresh in a run directory that holds an earlier run: delete its checkpoints, manifest, metrics.jsonl and evaluation.json first.")
    var overwrite = false

    @Option(name: .long, help: "Serve Prometheus metrics on HOST:PORT (GET /metrics), e.g. 0.0.0.0:9464.")
    var metricsBind: String?

    @OptionGroup var logging: LogOptions

    @Option(name: .long, help: "Bounded-staleness asynchronous mode: workers run up to S iterations ahead on older parameters (0: synchronous, bit-identical).")
    var staleness: Int = 0

    func validate() throws {
        // The ranges of the configuration keys these override (README, "Configuration files").
        func check(_ flag: String, _ value: Int, _ range: ClosedRange<Int>) throws {
            guard range.contains(value) else {
                throw ValidationError("\(flag) must be between \(range.lowerBound) and \(range.upperBound), got \(value)")
            }
        }
        if let iterations { try check("--iterations", iterations, ConfigLimits.iterations) }
        if let evalTasks { try check("--eval-tasks", evalTasks, ConfigLimits.evaluationTasks) }
        if let seed, seed > UInt64(ConfigLimits.seed.upperBound) {
            throw ValidationError("--seed must be between \(ConfigLimits.seed.lowerBound) and \(ConfigLimits.seed.upperBound), got \(seed)")
        }
        if let checkpointEvery, checkpointEvery < 1 { throw ValidationError("--checkpoint-every must be at least 1, got \(checkpointEvery)") }
        guard staleness >= 0 && staleness <= 64 else { throw ValidationError("--staleness must be between 0 and 64, got \(staleness)") }
        if keep < 1 { throw ValidationError("--keep must be at least 1, got \(keep)") }
        if resume && overwrite { throw ValidationError("--resume continues the run in --run-dir, --overwrite discards it: pass one of them") }
    }

    /// The configuration with the command-line overrides applied.
    func configuration() throws -> RunConfiguration {
        var config = try selection.load()
        if let iterations { config.iterations = iterations }
        if let seed { config.seed = seed }
        if let evalTasks { config.evaluationTasks = evalTasks }
        return config
    }

    /// Sets up logging, then the run's driver: the configuration with the overrides, the run
    /// directory (`runs/NAME` by default) claimed, `config.yaml` written.
    func driver(threads: Int) throws -> RunDriver {
        logging.apply()
        let config = try configuration()
        let settings = RunDriver.Settings(configuration: config, directory: URL(fileURLWithPath: runDir ?? "runs/\(config.name)"),
                                          checkpointEvery: checkpointEvery, keep: keep, resume: resume, overwrite: overwrite,
                                          metricsBind: metricsBind, staleness: staleness, logFormat: logging.format)
        return try RunDriver(settings, threads: threads)
    }
}

extension RunDriver.Outcome {
    /// Ends the command with the outcome's exit status (nothing to do when training finished).
    func exit() throws {
        if case .stopped(let status) = self { throw ExitCode(status) }
    }
}
