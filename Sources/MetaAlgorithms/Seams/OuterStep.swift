import MetaTensor
import MetaNN
import MetaTasks

/// A learner whose outer update is its own, not the configuration's optimizer applied to the
/// mean of the tasks' meta-gradients: TRPO for reinforcement learning (``MAMLTRPOLearner``),
/// which asks the meta-batch for several reductions per iteration (``TRPORequest``).
///
/// The single seam between such a learner and the trainer: ``MetaTrainer/step(_:)`` calls
/// ``outerStep(model:parameters:tasks:iteration:configuration:)`` instead of reducing
/// ``Learner/taskStep(model:parameters:task:inner:)``, and keeps the optimizer state as it is.
/// The implementation answers its requests in this process; a runtime that carries several
/// reductions per iteration replaces that loop by rounds to the workers, with the same sums in
/// task-index order and so the same bits.
public protocol OuterStepLearner: Learner {
    /// The next parameters from `parameters` on the meta-batch `tasks` (task-index order) of
    /// `iteration`, with the iteration's mean loss and metric. Pure.
    func outerStep<S: TensorScalar>(model: any Model, parameters: Parameters<Tensor<S>>, tasks: [Task<S>], iteration: Int,
                                    configuration: RunConfiguration) -> (parameters: Parameters<Tensor<S>>, loss: Double, metric: Double)
}

extension RunConfiguration {
    /// Why this configuration cannot train through the cluster runtime, as one line; nil when it
    /// can. A learner with its own outer update (``OuterStepLearner``) answers its reductions in
    /// the training process. Checked before a run directory is claimed.
    public var clusterProblem: String? {
        algorithm.learner is any OuterStepLearner
            ? "\(algorithm) trains in this process only (its outer step asks the tasks for several reductions per "
                + "iteration, which the cluster runtime does not carry); run without workers"
            : nil
    }
}
