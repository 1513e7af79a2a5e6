import MetaTensor
import MetaAutodiff
import MetaNN
import MetaTasks

/// Reptile (Nichol, Achiam & Schulman 2018) as a pure per-task step.
///
/// Adapt by `steps` SGD steps on the support set to φ, and return θ − φ as the task's
/// "meta-gradient": an outer SGD step with rate ε then moves θ toward φ, θ ← θ + ε(φ − θ), the
/// paper's update. (The paper's inner loop uses Adam with β₁ = 0 on mini-batches; here it is
/// plain SGD on the whole support set, which keeps the defining property exact: with one step,
/// θ − φ = α∇L_support(θ).) The reported loss and metric are the query's after adaptation.
public enum Reptile {
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public static func taskStep<S: TensorScalar>(model: any Model, parameters: Parameters<Tensor<S>>, task: Task<S>,
                                                 inner: InnerLoop) -> TaskResult<S> {
        let adapted = InnerUpdate.adapt(model: model, parameters: parameters.map { Variable(differentiable: $0) },
                                        inputs: task.supportInputs, targets: task.supportTargets, steps: inner.steps,
                                        learningRate: S(inner.learningRate), createGraph: false).map { $0.value }
        let prediction = model.apply(adapted.map { Variable($0) }, Variable(task.queryInputs))
        let loss = TaskLoss.loss(prediction, task.queryTargets)
        return TaskResult(loss: Double(loss.scalar), metric: TaskLoss.metric(prediction.value, task.queryTargets),
                          metaGradient: parameters.zip(adapted) { $0 - $1 })
    }
}

/// Reptile as a registered learner.
public struct ReptileLearner: Learner {
    public init() {}
    public var id: LearnerID { .reptile }

    public func taskStep<S: TensorScalar>(model: any Model, parameters: Parameters<Tensor<S>>, task: Task<S>,
                                          inner: InnerLoop) -> TaskResult<S> {
        Reptile.taskStep(model: model, parameters: parameters, task: task, inner: inner)
    }

    public func problem(with configuration: RunConfiguration) -> String? { innerStepsProblem(configuration) }

    public var presets: [RunConfiguration] {
        [RunConfiguration(
            name: "omniglot-5w1s-reptile",
            source: "Nichol et al. 2018 (Reptile) Omniglot 5-way 1-shot: 5 inner steps, meta-batch 5, outer step size 1.0, "
                + "100,000 iterations, 50 steps at evaluation; departures: the inner loop is plain SGD α=0.4 on the whole "
                + "support set (the paper: Adam β1=0, lr 0.001, mini-batches of 10); meta-training uses 1-shot tasks (the "
                + "paper's scripts: 10 shots per class, --train-shots 10); the outer step is not annealed (the paper: 1 → 0); "
                + "evaluation is transductive (batch statistics), as the paper's 97.68 % is; " + RunConfiguration.omniglotCNNDepartures,
            algorithm: .reptile, family: .omniglot(ways: 5, shots: 1, queries: 1),
            architecture: .omniglotCNN(ways: 5), inner: InnerLoop(steps: 5, evaluationSteps: 50, learningRate: 0.4),
            metaBatchSize: 5, outerOptimizer: .sgd(learningRate: 1.0), iterations: 100_000, validationInterval: 1_000)]
    }
}

extension LearnerID {
    public static let reptile = LearnerID(registering: "reptile")
}
