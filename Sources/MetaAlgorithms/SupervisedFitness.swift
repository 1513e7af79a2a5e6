import MetaTensor
import MetaAutodiff
import MetaNN
import MetaTasks

/// The fitness of parameters on a support/query task (``TaskShape/supportQuery``): the
/// negative query loss after `inner.steps` SGD steps of rate α on the support set with the
/// exact support gradient and no graph kept, f_T(θ) = −L_query(U(θ, T)) (Song et al. 2020
/// eq. 3 with a gradient-step adaptation operator). Evaluation and initial parameters are
/// MAML's.
public struct SupervisedFitness: TaskFitness {
    public init() {}

    public func fitness<S: TensorScalar>(model: any Model, parameters: Parameters<Tensor<S>>, task: Task<S>,
                                         inner: InnerLoop) -> (fitness: Double, loss: Double, metric: Double) {
        let adapted = InnerUpdate.adapt(model: model, parameters: parameters.map { Variable(differentiable: $0) },
                                        inputs: task.supportInputs, targets: task.supportTargets, steps: inner.steps,
                                        learningRate: S(inner.learningRate), createGraph: false).map { $0.value }
        let prediction = model.apply(adapted.map { Variable($0) }, Variable(task.queryInputs))
        let loss = Double(TaskLoss.loss(prediction, task.queryTargets).scalar)
        return (-loss, loss, TaskLoss.metric(prediction.value, task.queryTargets))
    }

    public func evaluate<S: TensorScalar>(model: any Model, parameters: Parameters<Tensor<S>>, task: Task<S>,
                                          inner: InnerLoop, steps: Int) -> [Double] {
        MAMLLearner().evaluate(model: model, parameters: parameters, task: task, inner: inner, steps: steps)
    }

    public func initialParameters<S: TensorScalar>(model: any Model, seed: UInt64, as: S.Type) -> Parameters<Tensor<S>> {
        model.initialParameters(seed: seed, as: S.self)
    }
}
