import Foundation
import MetaTensor
import MetaTasks
import MetaAlgorithms
import MetaConfig
import MetaCheckpoint
import MetaCluster
import MetaTelemetry

/// The part of a run that does not depend on where the tasks are computed: resuming from the
/// newest checkpoint that verifies, progress lines, metrics as JSON lines, periodic
/// validation, asynchronous checkpoints every N iterations, a checkpoint on SIGINT/SIGTERM,
/// and the final checkpoint. `step` advances the state by one iteration (in this process
/// or through the coordinator) and returns nil when a stop signal interrupted it.
///
/// Files written into ``directory``: `metrics.jsonl` (through ``MetricsLog``: one `train`
/// record per progress line, i.e. every 100 iterations, at the last one and after 30 s without
/// one; `validation`, `checkpoint` and `checkpoint_failed` records), a TensorBoard event file
/// (``TensorBoardEventWriter``: the `train` and `validation` records' figures as scalars, at the
/// same moments, with the iteration as the step; a new file per process, so a resumed run adds
/// one), `iteration-N.ckpt` every ``checkpointEvery`` iterations (at most ``keep`` of them), and
/// `final.ckpt`. Progress goes to standard output (``ProgressReporter``; with the JSON
/// ``logFormat``, progress and validation lines are JSON objects on standard error), problems
/// to the `checkpoint`, `metrics` and `tensorboard` loggers.
///
/// Determinism: the loop adds nothing random; with a pure `step` (``MetaTrainer/step(_:)``) the
/// final parameters are a function of the configuration alone, whatever the checkpoint interval.
public struct TrainingLoop {
    public let configuration: RunConfiguration
    public let trainer: MetaTrainer<Float>
    /// The run directory (it must exist).
    public let directory: URL
    /// Write `iteration-N.ckpt` every this many iterations (in the background); nil: only at the end.
    public let checkpointEvery: Int?
    /// Periodic checkpoints to keep.
    public let keep: Int
    /// OpenBLAS threads of this process.
    public let threads: Int
    /// Prometheus gauges and counters to update; nil: none (no metrics endpoint).
    public var metrics: TrainingMetrics?
    /// For a distributed run: keeps the coordinator's transport serviced (heartbeats, hellos)
    /// until its argument returns true, while validation runs on another thread. Nil: validate
    /// on this thread.
    public var service: ((_ done: () -> Bool) -> Void)?
    /// How progress and validation lines look (`--log-format`).
    public var logFormat: LogFormat

    public init(configuration: RunConfiguration, trainer: MetaTrainer<Float>, directory: URL, checkpointEvery: Int?, keep: Int,
                threads: Int, metrics: TrainingMetrics? = nil, service: ((_ done: () -> Bool) -> Void)? = nil,
                logFormat: LogFormat = .text) {
        self.configuration = configuration
        self.trainer = trainer
        self.directory = directory
        self.checkpointEvery = checkpointEvery
        self.keep = keep
        self.threads = threads
        self.metrics = metrics
        self.service = service
        self.logFormat = logFormat
    }

    /// What happened, for the caller's exit status.
    public enum Ending {
        /// Trained to the configured iteration count; `final.ckpt` holds the state.
        case finished(MetaTrainer<Float>.State)
        /// A stop signal ended training early; `iteration-N.ckpt` holds the state.
        case interrupted(MetaTrainer<Float>.State)
    }

    /// The state to start from: the newest checkpoint that verifies when resuming (fresh when
    /// the directory holds no checkpoint at all), else fresh.
    /// - Throws: ``RunError`` when the directory cannot be listed, when it holds checkpoints
    ///   but none verifies (resuming from 0 would silently discard them), or when the newest
    ///   was trained with another configuration or on data of another content digest.
    public func startingState(resume: Bool, log: (String) -> Void) throws -> MetaTrainer<Float>.State {
        guard resume else { return trainer.initialState() }
        let store = CheckpointStore(directory: directory, keep: keep)
        let found: (checkpoint: RunCheckpoint, url: URL, skipped: [String])
        do {
            guard try !store.checkpointNamesOnDisk().isEmpty else {
                log("--resume: no checkpoint in \(directory.path); starting from iteration 0")
                return trainer.initialState()
            }
            found = try store.newest()
        } catch {
            throw RunError("--resume: \(error) (or pass --overwrite instead of --resume to discard them and start over)")
        }
        for s in found.skipped { log("skipped a damaged checkpoint: \(s)") }
        let saved = try found.checkpoint.configuration()
        for (was, now) in [(saved.family, configuration.family), (saved.evaluationFamily, configuration.evaluationFamily)] {
            if let trained = was?.spec.dataDigest, let here = now?.spec.dataDigest, trained != here {
                throw RunError("\(found.url.path) was trained on data of content digest \(trained); this process's data has \(here): "
                               + "point its data folder (\(OmniglotDataset.environmentVariable) for Omniglot) at the data it was trained on")
            }
        }
        // The iteration count may grow on resume, and `source` is documentation (a preset's
        // stated provenance), not part of what the run computes.
        var a = saved, b = configuration
        a.iterations = 0; b.iterations = 0
        a.source = ""; b.source = ""
        guard ConfigFile.yaml(a) == ConfigFile.yaml(b) else {
            throw RunError("\(found.url.path) was trained with another configuration (sha256 \(found.checkpoint.configurationSHA256.prefix(12))…); "
                           + "resume with the same --config/--preset and --seed, or use another --run-dir")
        }
        let state = try found.checkpoint.trainerState()
        log("resuming from \(found.url.lastPathComponent) at iteration \(state.iteration)")
        return state
    }

    /// Trains from `start` until the configured iteration count or a stop signal, then writes
    /// the final checkpoint (`final.ckpt`, or `iteration-N.ckpt` when stopped).
    ///
    /// A periodic checkpoint that fails (a full disk, an I/O error) does not stop training:
    /// it is logged, counted (`metatrain_checkpoint_failures_total`), recorded in
    /// `metrics.jsonl` as `{"kind":"checkpoint_failed", …}`, and the next interval's
    /// checkpoint is tried as usual. Only the last checkpoint failing stops the run with an
    /// error, since the run's result would otherwise be lost.
    public func run(from start: MetaTrainer<Float>.State, step: (MetaTrainer<Float>.State) throws -> StepOutcome?) throws -> Ending {
        let report = logLine("checkpoint")
        let log = try MetricsLog(runDirectory: directory, report: logLine("metrics"))
        let events: TensorBoardEventWriter
        do { events = try TensorBoardEventWriter(directory: directory, report: logLine("tensorboard")) } catch { throw RunError("\(error)") }
        let store = CheckpointStore(directory: directory, keep: keep)
        let writer = AsyncCheckpointWriter(store: store)
        let config = configuration
        var state = start
        let progress = ProgressReporter(total: config.iterations, startIteration: state.iteration, logFormat: logFormat)
        var window = Window()
        var windowStart = progress.elapsed
        var interrupted = false

        func checkpoint(_ s: MetaTrainer<Float>.State) -> RunCheckpoint {
            RunCheckpoint(iteration: s.iteration, configuration: config, parameters: s.parameters, optimizer: s.optimizer,
                          metricsJSON: window.summaryJSON(iteration: s.iteration, elapsed: progress.elapsed))
        }
        var refusedSoFar = 0
        var checkpointFailures = 0
        var lastWritten: String?
        func recordFailure(name: String, iteration: Int, reason: String, retry: String) {
            checkpointFailures += 1
            metrics?.checkpointFailed()
            report("checkpoint \(name) failed: \(reason); \(retry)")
            log.write(CheckpointFailedRecord(iteration: iteration, path: name, error: reason, elapsedSeconds: progress.elapsed,
                                             failures: checkpointFailures))
        }
        func drainCompleted() {
            for failed in writer.takeFailures() {
                let next = checkpointEvery.map { ((failed.iteration / $0) + 1) * $0 } ?? config.iterations
                recordFailure(name: failed.name, iteration: failed.iteration, reason: failed.reason,
                              retry: "training goes on and tries again " + (next < config.iterations ? "at iteration \(next)" : "at the end"))
            }
            for done in writer.takeCompleted() {
                lastWritten = done.name
                metrics?.checkpoint(stallSeconds: done.stallSeconds, bytes: done.bytes)
                log.write(CheckpointRecord(iteration: done.iteration, path: done.name, elapsedSeconds: progress.elapsed,
                                           writeSeconds: done.seconds, bytes: done.bytes, stallSeconds: done.stallSeconds))
            }
        }

        while state.iteration < config.iterations {
            guard let outcome = try step(state) else { interrupted = true; break }
            state = outcome.state
            window.add(outcome)
            if let metrics {
                let refused = outcome.cluster.map { $0.refusedMessagesTotal - refusedSoFar } ?? 0
                refusedSoFar = outcome.cluster?.refusedMessagesTotal ?? 0
                metrics.iteration(state.iteration, tasks: config.metaBatchSize, metaLoss: outcome.metrics.metaLoss, trainMetric: outcome.metrics.metric,
                                  tasksPerSecond: outcome.cluster.map { Double(config.metaBatchSize) / max($0.seconds, 1e-9) },
                                  liveWorkers: outcome.cluster?.liveWorkers,
                                  coordinatorFraction: outcome.cluster.map { $0.coordinatorSeconds / max($0.seconds, 1e-9) },
                                  reassignedShards: outcome.cluster?.reassignedShards ?? 0, rejectedMessages: max(0, refused))
            }
            let now = progress.elapsed
            if state.iteration % 100 == 0 || state.iteration == config.iterations || now - windowStart > 30 {
                let tasksPerSecond = Double(window.count * config.metaBatchSize) / max(now - windowStart, 1e-9)
                let record = window.record(iteration: state.iteration, metric: config.metric.name, tasksPerSecond: tasksPerSecond,
                                           elapsed: now, threads: threads)
                log.write(record)
                events.scalars(step: state.iteration, record.scalars)
                progress.update(done: state.iteration, loss: window.loss, metricName: config.metric.name, metric: window.metric,
                                tasksPerSecond: tasksPerSecond, workers: window.clustered ? window.workers : nil)
                window = Window()
            }
            if let every = checkpointEvery, state.iteration % every == 0 && state.iteration < config.iterations {
                let stall = try writer.submit(checkpoint(state), name: "iteration-\(state.iteration).\(RunCheckpoint.fileExtension)")
                window.stall = stall
            }
            drainCompleted()
            if state.iteration % config.validationInterval == 0 && state.iteration < config.iterations {
                let v = offloaded { [trainer, parameters = state.parameters, tasks = config.validationTasks] in
                    trainer.evaluate(parameters, split: .validation, tasks: tasks)
                }
                // After the configured inner steps; for sequence learners, at the last presentation of a class.
                let byPresentation = v.axis == "presentation"
                let index = byPresentation ? v.steps.count - 1 : min(config.inner.steps, v.steps.count - 1)
                let last = v.steps[index]
                metrics?.validation(last.mean)
                let record = ValidationRecord(iteration: state.iteration, split: "validation", metric: v.metric,
                                              steps: byPresentation ? nil : index, presentation: byPresentation ? v.label(index) : nil,
                                              mean: last.mean, ci95: last.ci95)
                log.write(record)
                events.scalars(step: state.iteration, record.scalars)
                progress.message("validation at \(state.iteration): \(v.metric) "
                                 + (byPresentation ? "at presentation \(v.label(index)) " : "after \(index) step(s) ")
                                 + "\(format(last.mean, 4)) ± \(format(last.ci95, 4)) (\(config.validationTasks) tasks)",
                                 label: "validation", fields: record.fields(tasks: config.validationTasks))
            }
            // A new window starts after any validation or checkpoint, so tasks/s counts training only.
            if window.count == 0 { windowStart = progress.elapsed }
            if StopSignal.isRequested { interrupted = true; break }
        }
        writer.close()
        drainCompleted()
        let name = interrupted ? "iteration-\(state.iteration).\(RunCheckpoint.fileExtension)" : "final.\(RunCheckpoint.fileExtension)"
        do {
            _ = try store.write(checkpoint(state), name: name)
        } catch {
            recordFailure(name: name, iteration: state.iteration, reason: "\(error)", retry: "stopping")
            throw RunError("cannot write the \(interrupted ? "checkpoint after the stop signal" : "final checkpoint") \(name): \(error); "
                           + (lastWritten.map { "the newest checkpoint written is \($0) (continue from it with --resume once the disk allows)" }
                              ?? "no checkpoint of this run was written"))
        }
        if log.failedWrites > 0 {
            logLine("metrics")("\(log.failedWrites) metrics record(s) could not be written to \(log.url.path)")
        }
        if events.failedWrites > 0 {
            logLine("tensorboard")("\(events.failedWrites) TensorBoard event(s) could not be written to \(events.url.path)")
        }
        let url = directory.appendingPathComponent(name)
        log.write(CheckpointRecord(iteration: state.iteration, path: name, elapsedSeconds: progress.elapsed,
                                   writeSeconds: nil, bytes: nil, stallSeconds: nil))
        if interrupted {
            progress.message("stopped by a signal at iteration \(state.iteration); checkpoint written to \(url.path) "
                             + "(continue with --resume)")
            return .interrupted(state)
        }
        print("trained in \(duration(progress.elapsed)); checkpoint written to \(url.path)")
        return .finished(state)
    }
}

extension TrainingLoop {
    /// `work`'s result, computed on another thread while ``service`` keeps the coordinator
    /// answering its workers (so a long validation does not look like a silent coordinator);
    /// on this thread when there is nothing to service.
    func offloaded<T>(_ work: @escaping () -> T) -> T {
        guard let service else { return work() }
        let box = OffloadedResult<T>(work)
        let thread = Thread { box.run() }
        thread.stackSize = 64 << 20
        thread.start()
        service { box.isDone }
        return box.wait()
    }
}

/// Averages over the iterations since the last progress line.
private struct Window {
    var count = 0
    var lossSum = 0.0, metricSum = 0.0
    var seconds = 0.0, coordinatorSeconds = 0.0, bytes = 0, reassigned = 0, workers = 0
    var clustered = false
    var stall: Double?

    var loss: Double { lossSum / Double(max(count, 1)) }
    var metric: Double { metricSum / Double(max(count, 1)) }

    mutating func add(_ o: StepOutcome) {
        count += 1
        lossSum += o.metrics.metaLoss
        metricSum += o.metrics.metric
        if let c = o.cluster {
            clustered = true
            seconds += c.seconds
            coordinatorSeconds += c.coordinatorSeconds
            bytes += c.bytesReceived + c.bytesSent
            reassigned += c.reassignedShards
            workers = max(workers, c.workers)
        }
    }

    func record(iteration: Int, metric: String, tasksPerSecond: Double, elapsed: Double, threads: Int) -> TrainingRecord {
        TrainingRecord(iteration: iteration, metaLoss: loss, trainMetric: self.metric, metric: metric, tasksPerSecond: tasksPerSecond,
                       elapsedSeconds: elapsed, workers: clustered ? workers : nil,
                       coordinatorFraction: clustered ? coordinatorSeconds / max(seconds, 1e-9) : nil,
                       wireBytesPerIteration: clustered ? Double(bytes) / Double(max(count, 1)) : nil,
                       reassignedShards: clustered ? reassigned : nil, checkpointStallSeconds: stall)
    }

    func summaryJSON(iteration: Int, elapsed: Double) -> String {
        String(format: "{\"iteration\":%d,\"window_meta_loss\":%.6g,\"window_train_metric\":%.6g,\"elapsed_seconds\":%.3f}",
               iteration, count > 0 ? loss : 0, count > 0 ? self.metric : 0, elapsed)
    }
}
