import MetaTensor
import MetaAutodiff
import MetaNN
import MetaTasks

/// The "pretrained" baseline of the MAML paper (Finn et al. 2017, §5.1): one model trained
/// jointly on all tasks' data, with no inner loop, then fine-tuned on each test task's support
/// set by SGD at evaluation. The per-task step is the gradient of the loss on the task's
/// support and query sets together, at θ.
public enum Pretraining {
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public static func taskStep<S: TensorScalar>(model: any Model, parameters: Parameters<Tensor<S>>, task: Task<S>) -> TaskResult<S> {
        let theta = parameters.map { Variable(differentiable: $0) }
        let inputs = Tensor.concatenate([task.supportInputs, task.queryInputs], axis: 0)
        let targets: Targets<S>
        switch (task.supportTargets, task.queryTargets) {
        case let (.regression(a), .regression(b)): targets = .regression(Tensor.concatenate([a, b], axis: 0))
        case let (.classification(a), .classification(b)): targets = .classification(a + b)
        default: fatalError("support and query targets differ in kind")
        }
        let prediction = model.apply(theta, Variable(inputs))
        let loss = TaskLoss.loss(prediction, targets)
        let grads = gradients(of: loss, withRespectTo: theta.values)
        let queryPrediction = model.apply(parameters.map { Variable($0) }, Variable(task.queryInputs)).value
        return TaskResult(loss: Double(loss.scalar), metric: TaskLoss.metric(queryPrediction, task.queryTargets),
                          metaGradient: Parameters(layout: parameters.layout, values: grads.map { $0.value }))
    }
}

/// The pretrain-then-fine-tune baseline as a registered learner.
public struct PretrainingLearner: Learner {
    public init() {}
    public var id: LearnerID { .pretrain }

    public func taskStep<S: TensorScalar>(model: any Model, parameters: Parameters<Tensor<S>>, task: Task<S>,
                                          inner: InnerLoop) -> TaskResult<S> {
        Pretraining.taskStep(model: model, parameters: parameters, task: task)
    }

    public var presets: [RunConfiguration] {
        [RunConfiguration(
            name: "sine-pretrain",
            source: "Finn et al. 2017 §5.1 'pretrained' baseline: one network regressed on all tasks jointly, "
                + "fine-tuned at evaluation with α=0.01; meta-batch 25, Adam 0.001, 70,000 iterations",
            algorithm: .pretrain, family: .sinusoid(support: 10, query: 10), architecture: .sineMLP(hidden: [40, 40]),
            inner: InnerLoop(steps: 0, evaluationSteps: 10, learningRate: 0.01),
            metaBatchSize: 25, outerOptimizer: .adam(learningRate: 0.001), iterations: 70_000)]
    }
}

extension LearnerID {
    public static let pretrain = LearnerID(registering: "pretrain")
}
