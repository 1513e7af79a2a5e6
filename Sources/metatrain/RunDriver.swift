import ArgumentParser
import Foundation
import MetaTensor
import MetaAlgorithms
import MetaConfig
import MetaCheckpoint
import MetaCluster
import MetaRuntime
import MetaTransport
import MetaTelemetry

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
}

/// Sets up a run directory, drives the ``TrainingLoop`` with a step function, and evaluates
/// the final parameters. Shared by in-process training, `train --workers N` and `coordinator`.
///
/// The run directory is claimed before anything is written into it: it is locked for the
/// driver's lifetime (``RunDirectory``: a second `train` or `coordinator` on the same directory
/// stops, naming the holder's pid), the temporary files of an earlier killed run are removed,
/// and a fresh run (no `--resume`) refuses a directory that holds checkpoints unless
/// `--overwrite` discards them, so a finished run is never replaced by accident.
struct RunDriver {
    let options: RunOptions
    let configuration: RunConfiguration
    let trainer: MetaTrainer<Float>
    let directory: URL
    let threads: Int
    let metrics: TrainingMetrics?
    let metricsServer: MetricsHTTPServer?
    /// Holds the run directory's lock until the driver is gone (the end of the command).
    let runDirectory: RunDirectory

    init(options: RunOptions, threads: Int) throws {
        self.options = options
        self.threads = threads
        options.logging.apply()
        configuration = try options.configuration()
        directory = URL(fileURLWithPath: options.runDir ?? "runs/\(configuration.name)")
        runDirectory = try Self.claim(directory, resume: options.resume, overwrite: options.overwrite, log: logLine("run"))
        if let bind = options.metricsBind {
            let registry = TrainingMetrics.bootstrap()
            do { metricsServer = try MetricsHTTPServer(bind: bind, registry: registry) } catch { throw RunError("\(error)") }
            metrics = TrainingMetrics()
            let host = bind.split(separator: ":").first.map(String.init) ?? "127.0.0.1"
            logLine("metrics")("Prometheus metrics at http://\(host.isEmpty ? "0.0.0.0" : host):\(metricsServer!.port)/metrics")
        } else {
            metrics = nil
            metricsServer = nil
        }
        do { trainer = try MetaTrainer<Float>(configuration: configuration) } catch { throw RunError.taskFamily(error) }
        do {
            try ConfigFile.yaml(configuration).write(to: directory.appendingPathComponent("config.yaml"), atomically: true, encoding: .utf8)
        } catch {
            throw RunError("cannot write \(directory.appendingPathComponent("config.yaml").path): \(error.localizedDescription)")
        }
    }

    /// Locks `directory` (creating it), removes leftover temporary files, and checks that a
    /// fresh run does not replace an earlier one (or discards it with `overwrite`).
    static func claim(_ directory: URL, resume: Bool, overwrite: Bool, log: (String) -> Void) throws -> RunDirectory {
        do {
            let run = try RunDirectory(directory)
            let leftovers = try run.removeLeftoverTemporaryFiles()
            if !leftovers.isEmpty {
                log("removed \(leftovers.count) temporary file(s) left by an interrupted write: \(leftovers.joined(separator: ", "))")
            }
            // A stale endpoint would point clients (and tests) at a coordinator that is gone.
            _ = unlink(directory.appendingPathComponent("coordinator.endpoint").path)
            guard !resume else { return run }
            let previous = try run.previousRunFiles()
            if overwrite {
                let removed = try run.discardPreviousRun()
                if !removed.isEmpty { log("--overwrite: removed \(removed.sorted().joined(separator: ", ")) from \(directory.path)") }
            } else if !previous.isEmpty {
                let shown = previous.prefix(3).joined(separator: ", ") + (previous.count > 3 ? ", …" : "")
                throw RunError("the run directory \(directory.path) already holds a run (\(shown)); "
                               + "pass --resume to continue it or --overwrite to discard it")
            }
            return run
        } catch let error as CheckpointError {
            throw RunError(error.description)
        }
    }

    var loop: TrainingLoop {
        TrainingLoop(configuration: configuration, trainer: trainer, directory: directory, checkpointEvery: options.checkpointEvery,
                     keep: options.keep, threads: threads, metrics: metrics)
    }

    func printHeader(_ state: MetaTrainer<Float>.State, where place: String) {
        let c = configuration
        print("metatrain: \(c.name), \(c.iterations) iterations, meta-batch \(c.metaBatchSize), "
              + "\(state.parameters.scalarCount) parameters, seed \(c.seed)")
        print("hyper-parameters: \(c.source)")
        print("run directory: \(directory.path); \(place); OpenBLAS \(BLASRuntime.coreName), \(threads) thread(s)")
        fflush(nil)
    }

    /// Trains from `start` with `step`, then evaluates on the test split. When a stop signal
    /// interrupted training, exits after writing a checkpoint with the shell's status for the
    /// signal: 143 for SIGTERM, 130 for SIGINT (or a stop requested from inside).
    func train(from start: MetaTrainer<Float>.State, beforeEvaluation: () -> Void = {},
               service: ((_ done: () -> Bool) -> Void)? = nil,
               step: (MetaTrainer<Float>.State) throws -> StepOutcome?) throws {
        var loop = self.loop
        loop.service = service
        let ending = try loop.run(from: start, step: step)
        beforeEvaluation()
        guard case .finished(let state) = ending else { throw ExitCode(StopSignal.exitStatus) }
        print("evaluating on \(configuration.evaluationTasks) held-out test tasks (seed \(configuration.evaluationSeed))…")
        let report = trainer.evaluate(state.parameters, split: .test, tasks: configuration.evaluationTasks)
        print(report.table)
        let encoder = JSONEncoder(); encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(report).write(to: directory.appendingPathComponent("evaluation.json"))
    }

    /// Trains through a coordinator bound at `bind`; `startWorkers` gets the bound endpoint.
    /// Plain TCP on a non-loopback address is refused unless `insecure`.
    func trainDistributed(bind: String, minWorkers: Int, heartbeat: HeartbeatSettings, security: CoordinatorSecurity,
                          insecure: Bool, scheduling: SchedulingOptions,
                          startWorkers: (String) throws -> Void, afterTraining: () -> Void = {}) throws {
        let log = logLine("coordinator")
        if let refusal = security.refusal(toBind: bind, insecure: insecure) { throw RunError(refusal) }
        if case .plain = security, !CoordinatorSecurity.isLocal(bind) {
            log("warning: \(bind) is plain TCP on a non-loopback address (--insecure): anyone who can reach it can join, "
                + "read the parameters and send gradients")
        }
        let start = try loop.startingState(resume: options.resume, log: log)
        var coordinatorOptions = Coordinator.Options(bind: bind, minWorkers: minWorkers, heartbeat: heartbeat, security: security,
                                                     identity: BuildInfo.identity, allowMixedBuilds: scheduling.allowMixedBuilds,
                                                     deadlines: scheduling.deadlines, log: log)
        coordinatorOptions.staleness = options.staleness
        let coordinator = Coordinator(trainer: trainer, options: coordinatorOptions)
        let endpoint: String
        do { endpoint = try coordinator.bind() } catch { throw RunError("coordinator: \(error.description)") }
        try? (endpoint + "\n").write(to: directory.appendingPathComponent("coordinator.endpoint"), atomically: true, encoding: .utf8)
        printHeader(start, where: "coordinator at \(endpoint), waiting for \(minWorkers) worker(s)")
        try startWorkers(endpoint)
        var finished = false
        defer {
            if !finished { coordinator.shutdown(reason: "the coordinator stopped", finished: false) }
        }
        try train(from: start, beforeEvaluation: {
            let completed = !StopSignal.isRequested
            coordinator.shutdown(reason: completed ? "training finished" : "the coordinator was stopped by a signal", finished: completed)
            finished = true
            let c = coordinator.counters
            log("workers lost \(c.lostWorkers), shards reassigned \(c.reassignedShards), shards past their deadline \(c.expiredShards), "
                + "workers dropped \(c.droppedWorkers), results rejected \(c.rejectedResults), updates rolled back \(c.rolledBackUpdates), "
                + "undecodable frames \(c.undecodableFrames), dropped messages \(c.droppedMessages), refused peers \(c.refusedPeers)")
            afterTraining()
        }, service: { done in _ = coordinator.service(until: done) }) { state in
            do {
                guard let (next, report) = try coordinator.iterate(state) else { return nil }
                return StepOutcome(state: next, metrics: report.metrics, cluster: report)
            } catch { throw RunError("\(error)") }
        }
    }
}
