import MetaTensor
import MetaAlgorithms
import MetaCluster

/// One meta-iteration's outcome, however it was computed: what a ``TrainingLoop`` step
/// function returns.
public struct StepOutcome {
    /// The trainer's state after the iteration.
    public var state: MetaTrainer<Float>.State
    /// The iteration's meta-loss and training metric.
    public var metrics: MetaTrainer<Float>.IterationMetrics
    /// The coordinator's figures for a distributed iteration; nil when computed in this process.
    public var cluster: Coordinator.IterationReport?

    public init(state: MetaTrainer<Float>.State, metrics: MetaTrainer<Float>.IterationMetrics,
                cluster: Coordinator.IterationReport? = nil) {
        self.state = state
        self.metrics = metrics
        self.cluster = cluster
    }
}
