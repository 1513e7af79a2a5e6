import Prometheus

/// The training metrics a coordinator (or an in-process run) exports, as families of a
/// Prometheus registry (serve it with ``MetricsHTTPServer``).
///
/// Names follow Prometheus's conventions (https://prometheus.io/docs/practices/naming/): the
/// `metatrain_` prefix, base units in the suffix (`_seconds`, `_bytes`), `_ratio` for
/// fractions, `_total` for counters; every family has `# HELP` and `# TYPE` lines.
///
/// | family | type | what |
/// |---|---|---|
/// | `metatrain_build_info{version, commit}` | gauge | always 1; the build's labels |
/// | `metatrain_iteration` | gauge | the iteration the parameters are at |
/// | `metatrain_iterations_total` | counter | meta-iterations trained by this process |
/// | `metatrain_tasks_total` | counter | tasks trained by this process (iterations × meta-batch) |
/// | `metatrain_meta_loss` | gauge | the last iteration's meta-loss |
/// | `metatrain_train_<metric>` | gauge | its training metric: `metatrain_train_accuracy_ratio` or `metatrain_train_mse` |
/// | `metatrain_validation_<metric>` | gauge | the last validation's figure, named the same way |
/// | `metatrain_tasks_per_second` | gauge | the last iteration's throughput (distributed runs) |
/// | `metatrain_live_workers` | gauge | workers connected (distributed runs) |
/// | `metatrain_coordinator_time_ratio` | gauge | the share of an iteration spent in the coordinator |
/// | `metatrain_reassigned_shards_total` | counter | shards given to another worker |
/// | `metatrain_rejected_messages_total` | counter | messages refused from peers |
/// | `metatrain_checkpoints_total` | counter | checkpoints written |
/// | `metatrain_checkpoint_failures_total` | counter | checkpoint writes that failed |
/// | `metatrain_checkpoint_stall_seconds` | gauge | how long the last checkpoint held up the loop |
/// | `metatrain_checkpoint_bytes` | gauge | the last checkpoint's size |
///
/// Threading: the families are swift-prometheus's, safe to update from any thread.
public final class TrainingMetrics: Sendable {
    /// The registry the families live in.
    public let registry: PrometheusCollectorRegistry
    let iteration: Gauge, iterations: Counter, tasks: Counter
    let metaLoss: Gauge, trainMetric: Gauge, validationMetric: Gauge
    let tasksPerSecond: Gauge, liveWorkers: Gauge, coordinatorTimeRatio: Gauge
    let reassignedShards: Counter, rejectedMessages: Counter
    let checkpoints: Counter, checkpointFailures: Counter, checkpointStall: Gauge, checkpointBytes: Gauge

    /// The family name of a metric (`accuracy`, `mse`) after `prefix`: `_ratio` appended for a
    /// fraction, any character Prometheus does not allow in a name replaced by `_`.
    public static func familyName(prefix: String, metric: String, isFraction: Bool) -> String {
        let clean = String(metric.lowercased().map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "_" })
        return "\(prefix)_\(clean)" + (isFraction ? "_ratio" : "")
    }

    /// Registers the families in `registry` (a fresh registry per run: a family's name must not
    /// be registered twice with other help text).
    /// - Parameters:
    ///   - metric: the run's metric name (`accuracy`, `mse`), in the names of the metric's families.
    ///   - isFraction: whether the metric is a fraction (its families end in `_ratio`).
    ///   - version, commit: the `metatrain_build_info` labels.
    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(), metric: String, isFraction: Bool,
                version: String, commit: String) {
        self.registry = registry
        func described(_ name: String, _ help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
        }
        func gauge(_ name: String, _ help: String) -> Gauge { registry.makeGauge(descriptor: described(name, help)) }
        func counter(_ name: String, _ help: String) -> Counter { registry.makeCounter(descriptor: described(name, help)) }
        registry.makeGauge(descriptor: described("metatrain_build_info", "The build serving these metrics (always 1): its version and git commit."),
                           labels: [("version", version), ("commit", commit)]).set(to: 1.0)
        iteration = gauge("metatrain_iteration", "The meta-iteration the parameters are at.")
        iterations = counter("metatrain_iterations_total", "Meta-iterations trained by this process.")
        tasks = counter("metatrain_tasks_total", "Tasks trained by this process (meta-iterations times the meta-batch).")
        metaLoss = gauge("metatrain_meta_loss", "The meta-loss of the last meta-iteration.")
        let what = isFraction ? "\(metric), a fraction from 0 to 1" : metric
        trainMetric = gauge(Self.familyName(prefix: "metatrain_train", metric: metric, isFraction: isFraction),
                            "The training \(what) of the last meta-iteration (on the query sets).")
        validationMetric = gauge(Self.familyName(prefix: "metatrain_validation", metric: metric, isFraction: isFraction),
                                 "The validation \(what) of the last periodic validation (mean over its tasks).")
        tasksPerSecond = gauge("metatrain_tasks_per_second", "Tasks per second of the last meta-iteration (distributed runs).")
        liveWorkers = gauge("metatrain_live_workers", "Workers connected to the coordinator.")
        coordinatorTimeRatio = gauge("metatrain_coordinator_time_ratio",
                                     "The share of the last meta-iteration's time spent in the coordinator (0 to 1).")
        reassignedShards = counter("metatrain_reassigned_shards_total", "Shards given to another worker (lost worker or deadline).")
        rejectedMessages = counter("metatrain_rejected_messages_total", "Messages from peers the coordinator refused.")
        checkpoints = counter("metatrain_checkpoints_total", "Checkpoints written.")
        checkpointFailures = counter("metatrain_checkpoint_failures_total", "Checkpoint writes that failed (training went on).")
        checkpointStall = gauge("metatrain_checkpoint_stall_seconds", "Seconds the last checkpoint held up the training loop.")
        checkpointBytes = gauge("metatrain_checkpoint_bytes", "The size of the last checkpoint written.")
    }

    /// After an iteration: its number, the figures of its meta-batch of `tasks` tasks, and
    /// (distributed) the workers, the coordinator's share and counts since the last call.
    public func iteration(_ n: Int, tasks: Int, metaLoss: Double, trainMetric: Double, tasksPerSecond: Double?, liveWorkers: Int?,
                          coordinatorFraction: Double?, reassignedShards: Int, rejectedMessages: Int) {
        iteration.set(to: Double(n))
        iterations.increment()
        self.tasks.increment(by: Int64(tasks))
        self.metaLoss.set(to: metaLoss)
        self.trainMetric.set(to: trainMetric)
        if let tasksPerSecond { self.tasksPerSecond.set(to: tasksPerSecond) }
        if let liveWorkers { self.liveWorkers.set(to: Double(liveWorkers)) }
        if let coordinatorFraction { coordinatorTimeRatio.set(to: coordinatorFraction) }
        if reassignedShards > 0 { self.reassignedShards.increment(by: Int64(reassignedShards)) }
        if rejectedMessages > 0 { self.rejectedMessages.increment(by: Int64(rejectedMessages)) }
    }

    /// After a periodic validation: its figure.
    public func validation(_ value: Double) { validationMetric.set(to: value) }

    /// A checkpoint was written: how long it held up the loop and its size, when known.
    public func checkpoint(stallSeconds: Double?, bytes: Int?) {
        checkpoints.increment()
        if let stallSeconds { checkpointStall.set(to: stallSeconds) }
        if let bytes { checkpointBytes.set(to: Double(bytes)) }
    }

    /// A checkpoint write failed (the run goes on and tries again at the next interval).
    public func checkpointFailed() { checkpointFailures.increment() }

    /// The registry in the text exposition format (what `GET /metrics` serves).
    public func exposition() -> String { String(decoding: registry.emitToBuffer(), as: UTF8.self) }
}
