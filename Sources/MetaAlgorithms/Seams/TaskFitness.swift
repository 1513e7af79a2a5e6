import MetaTensor
import MetaNN
import MetaTasks

/// What a zero-order meta-learner (``ESMAMLLearner``) needs from a kind of task: the fitness of
/// parameters on one task after the adaptation operator, the evaluation protocol of such tasks,
/// and the model's initial parameters for them. One implementation per ``TaskShape`` that a
/// fitness can be defined on (``TaskShape/fitness``): ``SupervisedFitness`` (support/query
/// tasks: the negative query loss after gradient steps on the support set) and
/// ``EnvironmentFitness`` (environments: the mean return after policy-gradient steps on the
/// task's own episodes).
///
/// Contract: every method is a pure function of its arguments (the task carries the key of any
/// randomness it needs), so any process computes the same bits; no derivative of the
/// adaptation operator is taken.
public protocol TaskFitness: Sendable {
    /// The fitness of `parameters` on `task` after `inner.steps` adaptation steps of rate
    /// `inner.learningRate` (higher is better), with the loss and metric a run logs for it.
    func fitness<S: TensorScalar>(model: any Model, parameters: Parameters<Tensor<S>>, task: Task<S>,
                                  inner: InnerLoop) -> (fitness: Double, loss: Double, metric: Double)

    /// The metric after each of 0…`steps` adaptation steps on a held-out task: the same table
    /// as the gradient learners of these tasks print.
    func evaluate<S: TensorScalar>(model: any Model, parameters: Parameters<Tensor<S>>, task: Task<S>,
                                   inner: InnerLoop, steps: Int) -> [Double]

    /// The parameters before the first update, for `model`.
    func initialParameters<S: TensorScalar>(model: any Model, seed: UInt64, as: S.Type) -> Parameters<Tensor<S>>
}
