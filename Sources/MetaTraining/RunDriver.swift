import Foundation
import MetaTensor
import MetaAlgorithms
import MetaConfig
import MetaCheckpoint
import MetaCluster
import MetaRuntime
import MetaTelemetry

/// Sets up a run directory, drives the ``TrainingLoop`` with a step function, and evaluates
/// the final parameters. Shared by in-process training, `train --workers N` and `coordinator`.
///
/// The run directory is claimed before anything is written into it: it is locked for the
/// driver's lifetime (``RunDirectory``: a second `train` or `coordinator` on the same directory
/// stops, naming the holder's pid), the temporary files of an earlier killed run are removed,
/// and a fresh run (no `--resume`) refuses a directory that holds checkpoints unless
/// `--overwrite` discards them, so a finished run is never replaced by accident.
///
/// Files written: `config.yaml` (at creation: the configuration with its data's content digest
/// pinned, ``MetaTrainer/configuration``), those of ``TrainingLoop``, `coordinator.endpoint`
/// (distributed runs) and `evaluation.json` (the test-split ``EvaluationReport``, after a run
/// that finished). The header, the evaluation table and the final line go to standard output.
public struct RunDriver {
    /// What a run is asked to do, as plain values (the `train` and `coordinator` options).
    public struct Settings {
        /// The configuration, command-line overrides applied.
        public var configuration: RunConfiguration
        /// The run directory (created when missing).
        public var directory: URL
        /// Write a checkpoint every this many iterations; nil: only at the end.
        public var checkpointEvery: Int?
        /// Periodic checkpoints to keep.
        public var keep: Int
        /// Continue from the newest checkpoint in ``directory`` that verifies.
        public var resume: Bool
        /// Discard an earlier run in ``directory`` first.
        public var overwrite: Bool
        /// Serve Prometheus metrics on this `HOST:PORT`; nil: no endpoint.
        public var metricsBind: String?
        /// Bounded staleness of a distributed run (0: synchronous).
        public var staleness: Int
        /// How progress and validation lines look (`--log-format`).
        public var logFormat: LogFormat

        public init(configuration: RunConfiguration, directory: URL, checkpointEvery: Int? = nil, keep: Int = 5, resume: Bool = false,
                    overwrite: Bool = false, metricsBind: String? = nil, staleness: Int = 0, logFormat: LogFormat = .text) {
            self.configuration = configuration
            self.directory = directory
            self.checkpointEvery = checkpointEvery
            self.keep = keep
            self.resume = resume
            self.overwrite = overwrite
            self.metricsBind = metricsBind
            self.staleness = staleness
            self.logFormat = logFormat
        }
    }

    /// How the coordinator schedules shards (`--shard-deadline-floor`, `--shard-deadline-cap`,
    /// `--allow-mixed-builds`).
    public struct Scheduling {
        public var deadlines: ShardDeadlines
        /// Accept workers of another build, BLAS kernel family or numeric fingerprint.
        public var allowMixedBuilds: Bool

        public init(deadlines: ShardDeadlines, allowMixedBuilds: Bool) {
            self.deadlines = deadlines
            self.allowMixedBuilds = allowMixedBuilds
        }
    }

    /// How a run ended, for the process's exit status.
    public enum Outcome: Equatable, Sendable {
        /// Trained, evaluated, `evaluation.json` written: exit status 0.
        case finished
        /// A stop signal interrupted training after a checkpoint was written; no evaluation.
        /// `exitStatus` is the shell's status for the signal: 143 for SIGTERM, 130 for SIGINT
        /// (or a stop requested from inside).
        case stopped(exitStatus: Int32)
    }

    public let settings: Settings
    /// The run's configuration: the settings' with the data's content digest pinned.
    public let configuration: RunConfiguration
    public let trainer: MetaTrainer<Float>
    public let directory: URL
    /// OpenBLAS threads of this process.
    public let threads: Int
    let metrics: TrainingMetrics?
    let metricsServer: MetricsHTTPServer?
    /// Holds the run directory's lock until the driver is gone (the end of the command).
    let runDirectory: RunDirectory

    /// Claims the run directory (see above), starts the metrics endpoint when asked, builds the
    /// trainer and writes `config.yaml`.
    /// - Throws: ``RunError`` when the directory is locked by another process, holds an earlier
    ///   run (without `resume` or `overwrite`), or cannot be written; when the metrics endpoint
    ///   cannot bind; when the task family cannot be built (missing data).
    public init(_ settings: Settings, threads: Int) throws {
        self.settings = settings
        self.threads = threads
        directory = settings.directory
        runDirectory = try Self.claim(directory, resume: settings.resume, overwrite: settings.overwrite, log: logLine("run"))
        if let bind = settings.metricsBind {
            let metrics = TrainingMetrics(metric: settings.configuration.metric.name, isFraction: settings.configuration.metric.isFraction,
                                          version: BuildInfo.version, commit: BuildInfo.commit)
            do { metricsServer = try MetricsHTTPServer(bind: bind, registry: metrics.registry) } catch { throw RunError("\(error)") }
            self.metrics = metrics
            let host = bind.split(separator: ":").first.map(String.init) ?? "127.0.0.1"
            logLine("metrics")("Prometheus metrics at http://\(host.isEmpty ? "0.0.0.0" : host):\(metricsServer!.port)/metrics")
        } else {
            metrics = nil
            metricsServer = nil
        }
        do { trainer = try MetaTrainer<Float>(configuration: settings.configuration) } catch { throw RunError.taskFamily(error) }
        // With the data's content digest pinned: what config.yaml, checkpoints and the job hold.
        configuration = trainer.configuration
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

    /// The training loop over this run directory, with the driver's settings.
    public var loop: TrainingLoop {
        TrainingLoop(configuration: configuration, trainer: trainer, directory: directory, checkpointEvery: settings.checkpointEvery,
                     keep: settings.keep, threads: threads, metrics: metrics, logFormat: settings.logFormat)
    }

    /// Prints the run's header: name, size, seed, hyper-parameters, directory, where it runs.
    public func printHeader(_ state: MetaTrainer<Float>.State, where place: String) {
        let c = configuration
        print("metatrain: \(c.name), \(c.iterations) iterations, meta-batch \(c.metaBatchSize), "
              + "\(state.parameters.scalarCount) parameters, seed \(c.seed)")
        print("hyper-parameters: \(c.source)")
        print("run directory: \(directory.path); \(place); OpenBLAS \(BLASRuntime.coreName), \(threads) thread(s)")
        fflush(nil)
    }

    /// Trains in this process (``MetaTrainer/step(_:)``) from the newest checkpoint when resuming,
    /// then evaluates on the test split. Stops early, with a checkpoint, once ``StopSignal`` is
    /// requested.
    public func trainInProcess() throws -> Outcome {
        let start = try loop.startingState(resume: settings.resume, log: logLine("train"))
        printHeader(start, where: "in this process")
        return try train(from: start) { state in
            if StopSignal.isRequested { return nil }
            let (next, metrics) = trainer.step(state)
            return StepOutcome(state: next, metrics: metrics, cluster: nil)
        }
    }

    /// Trains through a coordinator served to `workers` worker processes of this executable
    /// (``LocalCluster``) over a private ipc endpoint, then evaluates on the test split. The
    /// result is bit-identical to ``trainInProcess()`` for any worker count.
    /// - Parameters:
    ///   - threads: OpenBLAS threads of each worker.
    ///   - logFormat: the workers' `--log-format`.
    public func trainOnLocalWorkers(_ workers: Int, threads: Int, heartbeat: HeartbeatSettings, scheduling: Scheduling,
                                    logFormat: String) throws -> Outcome {
        var cluster: LocalCluster?
        defer { cluster?.wait() }
        // A private channel: an ipc socket in a 0700 directory, which other local users cannot join.
        let channel: PrivateEndpoint
        do { channel = try PrivateEndpoint() } catch { throw RunError("\(error)") }
        defer { channel.remove() }
        return try trainDistributed(bind: channel.endpoint, minWorkers: workers, heartbeat: heartbeat, security: .plain,
                                    insecure: false, scheduling: scheduling, failWhen: { cluster?.allExited }, startWorkers: { endpoint in
                                        cluster = try LocalCluster(workers: workers, endpoint: endpoint, threads: threads,
                                                                   heartbeat: heartbeat, logFormat: logFormat)
                                    }, afterTraining: { cluster?.wait() })
    }

    /// Trains from `start` with `step`, then evaluates on the test split and writes
    /// `evaluation.json`. When a stop signal interrupted training, returns
    /// ``Outcome/stopped(exitStatus:)`` after the checkpoint is written, without evaluating.
    public func train(from start: MetaTrainer<Float>.State, beforeEvaluation: () -> Void = {},
                      service: ((_ done: () -> Bool) -> Void)? = nil,
                      step: (MetaTrainer<Float>.State) throws -> StepOutcome?) throws -> Outcome {
        var loop = self.loop
        loop.service = service
        let ending = try loop.run(from: start, step: step)
        beforeEvaluation()
        guard case .finished(let state) = ending else { return .stopped(exitStatus: StopSignal.exitStatus) }
        print("evaluating on \(configuration.evaluationTasks) held-out test tasks (seed \(configuration.evaluationSeed))…")
        let report = trainer.evaluate(state.parameters, split: .test, tasks: configuration.evaluationTasks)
        print(report.table)
        let encoder = JSONEncoder(); encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(report).write(to: directory.appendingPathComponent("evaluation.json"))
        return .finished
    }

    /// Trains through a coordinator bound at `bind` (its endpoint written to `coordinator.endpoint`);
    /// `startWorkers` gets the bound endpoint, `afterTraining` runs once the coordinator has shut
    /// down. Evaluates as ``train(from:beforeEvaluation:service:step:)``.
    /// - Throws: ``RunError`` when plain TCP on a non-loopback address is asked for without
    ///   `insecure`, when the endpoint cannot be bound, or when the coordinator fails.
    public func trainDistributed(bind: String, minWorkers: Int, heartbeat: HeartbeatSettings, security: CoordinatorSecurity,
                                 insecure: Bool, scheduling: Scheduling, failWhen: (() -> String?)? = nil,
                                 startWorkers: (String) throws -> Void, afterTraining: () -> Void = {}) throws -> Outcome {
        let log = logLine("coordinator")
        if let refusal = security.refusal(toBind: bind, insecure: insecure) { throw RunError(refusal) }
        if let warning = security.warning(forBinding: bind) { log(warning) }
        let start = try loop.startingState(resume: settings.resume, log: log)
        var coordinatorOptions = Coordinator.Options(bind: bind, minWorkers: minWorkers, heartbeat: heartbeat, security: security,
                                                     identity: BuildInfo.identity, allowMixedBuilds: scheduling.allowMixedBuilds,
                                                     deadlines: scheduling.deadlines, log: log)
        coordinatorOptions.staleness = settings.staleness
        coordinatorOptions.failWhen = failWhen
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
        return try train(from: start, beforeEvaluation: {
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
