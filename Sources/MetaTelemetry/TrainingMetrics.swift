import Metrics
import Prometheus

/// The training metrics a coordinator (or an in-process run) exports, through swift-metrics.
///
/// ``bootstrap()`` installs a Prometheus backend once per process and returns its registry
/// (to serve with ``MetricsHTTPServer``); without it the swift-metrics calls are no-ops.
public final class TrainingMetrics: Sendable {
    let iteration = Gauge(label: "metatrain_iteration")
    let metaLoss = Gauge(label: "metatrain_meta_loss")
    let trainMetric = Gauge(label: "metatrain_train_metric")
    let validationMetric = Gauge(label: "metatrain_validation_metric")
    let tasksPerSecond = Gauge(label: "metatrain_tasks_per_second")
    let liveWorkers = Gauge(label: "metatrain_live_workers")
    let coordinatorFraction = Gauge(label: "metatrain_coordinator_fraction")
    let reassignedShards = Counter(label: "metatrain_reassigned_shards_total")
    let rejectedMessages = Counter(label: "metatrain_rejected_messages_total")
    let checkpointStall = Gauge(label: "metatrain_checkpoint_stall_seconds")
    let checkpointBytes = Gauge(label: "metatrain_checkpoint_bytes")
    let checkpoints = Counter(label: "metatrain_checkpoints_total")
    let checkpointFailures = Counter(label: "metatrain_checkpoint_failures_total")

    public init() {}

    /// Installs the Prometheus backend for this process and returns its registry.
    public static func bootstrap() -> PrometheusCollectorRegistry {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }

    /// After an iteration: its number, the averages of the reporting window, and (distributed)
    /// the workers, the coordinator's share and counts since the last call.
    public func iteration(_ n: Int, metaLoss: Double, trainMetric: Double, tasksPerSecond: Double?, liveWorkers: Int?,
                          coordinatorFraction: Double?, reassignedShards: Int, rejectedMessages: Int) {
        iteration.record(n)
        self.metaLoss.record(metaLoss)
        self.trainMetric.record(trainMetric)
        if let tasksPerSecond { self.tasksPerSecond.record(tasksPerSecond) }
        if let liveWorkers { self.liveWorkers.record(liveWorkers) }
        if let coordinatorFraction { self.coordinatorFraction.record(coordinatorFraction) }
        if reassignedShards > 0 { self.reassignedShards.increment(by: reassignedShards) }
        if rejectedMessages > 0 { self.rejectedMessages.increment(by: rejectedMessages) }
    }

    public func validation(_ value: Double) { validationMetric.record(value) }

    public func checkpoint(stallSeconds: Double?, bytes: Int?) {
        checkpoints.increment()
        if let stallSeconds { checkpointStall.record(stallSeconds) }
        if let bytes { checkpointBytes.record(bytes) }
    }

    /// A checkpoint write failed (the run goes on and tries again at the next interval).
    public func checkpointFailed() { checkpointFailures.increment() }
}
