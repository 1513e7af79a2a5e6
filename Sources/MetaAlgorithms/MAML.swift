import MetaTensor
import MetaAutodiff
import MetaNN
import MetaTasks

/// What one task contributes to a meta-update.
public struct TaskResult<S: TensorScalar>: Sendable {
    /// Query loss after adaptation.
    public var loss: Double
    /// Query metric after adaptation (MSE or accuracy).
    public var metric: Double
    /// The gradient of the query loss with respect to the initial parameters.
    public var metaGradient: Parameters<Tensor<S>>

    public init(loss: Double, metric: Double, metaGradient: Parameters<Tensor<S>>) {
        self.loss = loss
        self.metric = metric
        self.metaGradient = metaGradient
    }
}

/// Model-Agnostic Meta-Learning (Finn et al. 2017) as a pure per-task step.
///
/// For one task: θ′ = θ − α∇θ L_support(θ) repeated `steps` times, then the meta-gradient
/// ∇θ L_query(θ′). Second order by default: the inner gradients are recorded
/// (`createGraph`), so the meta-gradient flows through them and contains the Hessian term
/// −α H_support(θ) ∇L_query(θ′). With `firstOrder` the inner gradients are constants and that
/// term is dropped (first-order MAML): the meta-gradient is then ∇L_query evaluated at θ′.
public enum MAML {
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public static func taskStep<S: TensorScalar>(model: any Model, parameters: Parameters<Tensor<S>>, task: Task<S>,
                                                 inner: InnerLoop) -> TaskResult<S> {
        let theta = parameters.map { Variable(differentiable: $0) }
        let adapted = adapt(model: model, parameters: theta, inputs: task.supportInputs, targets: task.supportTargets,
                            steps: inner.steps, learningRate: S(inner.learningRate), createGraph: !inner.firstOrder)
        return queryResult(model: model, adapted: adapted, task: task, leaves: theta)
    }

    /// The query loss and metric under `adapted`, and the gradient of that loss with respect
    /// to `leaves` (the differentiable initial parameters): the tail every gradient-based
    /// learner's step shares.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public static func queryResult<S: TensorScalar>(model: any Model, adapted: Parameters<Variable<S>>, task: Task<S>,
                                                    leaves: Parameters<Variable<S>>) -> TaskResult<S> {
        let prediction = model.apply(adapted, Variable(task.queryInputs))
        let loss = TaskLoss.loss(prediction, task.queryTargets)
        let grads = gradients(of: loss, withRespectTo: leaves.values)
        var metaGradient = Parameters(layout: leaves.layout, values: grads.map { $0.value })
        RunningStatistics.record(model: model, adapted: adapted, queryInputs: task.queryInputs, into: &metaGradient)
        return TaskResult(loss: Double(loss.scalar), metric: TaskLoss.metric(prediction.value, task.queryTargets),
                          metaGradient: metaGradient)
    }

    /// `steps` steps of SGD on the support set (see ``InnerUpdate``).
    public static func adapt<S: TensorScalar>(model: any Model, parameters: Parameters<Variable<S>>, inputs: Tensor<S>,
                                              targets: Targets<S>, steps: Int, learningRate: S,
                                              createGraph: Bool) -> Parameters<Variable<S>> {
        InnerUpdate.adapt(model: model, parameters: parameters, inputs: inputs, targets: targets, steps: steps,
                          learningRate: learningRate, createGraph: createGraph)
    }

    /// The model's query outputs after 0, 1, …, `steps` adaptation steps on the support set
    /// (first-order steps, no graph kept between steps): the adaptation of the evaluation
    /// protocol and of `metatrain adapt`. `adapting` and `rates` as in ``InnerUpdate``. The
    /// queries are scored by ``Model/predict(_:_:)`` (with running statistics where the model
    /// keeps them); the support steps normalise with the support's own statistics, as in training.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public static func queryOutputs<S: TensorScalar>(model: any Model, parameters: Parameters<Tensor<S>>, input: AdaptationInput<S>,
                                                     steps: Int, learningRate: Double, adapting: [String]? = nil,
                                                     rates: Parameters<Tensor<S>>? = nil) -> [Tensor<S>] {
        var fast = parameters
        var outputs: [Tensor<S>] = []
        let xq = Variable<S>(input.queryInputs)
        let rateVariables = rates?.map { Variable($0) }
        for step in 0...steps {
            outputs.append(model.predict(fast.map { Variable($0) }, xq).value)
            if step == steps { break }
            fast = InnerUpdate.adapt(model: model, parameters: fast.map { Variable(differentiable: $0) },
                                     inputs: input.supportInputs, targets: input.supportTargets, steps: 1,
                                     learningRate: S(learningRate), createGraph: false, adapting: adapting,
                                     rates: rateVariables).map { $0.value }
        }
        return outputs
    }

    /// The query metric after 0, 1, …, `steps` adaptation steps: the metric of each of
    /// ``queryOutputs(model:parameters:input:steps:learningRate:adapting:rates:)``.
    public static func evaluate<S: TensorScalar>(model: any Model, parameters: Parameters<Tensor<S>>, task: Task<S>,
                                                 steps: Int, learningRate: Double, adapting: [String]? = nil,
                                                 rates: Parameters<Tensor<S>>? = nil) -> [Double] {
        queryOutputs(model: model, parameters: parameters, input: AdaptationInput(task), steps: steps, learningRate: learningRate,
                     adapting: adapting, rates: rates).map { TaskLoss.metric($0, task.queryTargets) }
    }
}

/// MAML and first-order MAML (``InnerLoop/firstOrder``) as a registered learner.
public struct MAMLLearner: Learner {
    public init() {}
    public var id: LearnerID { .maml }

    public func taskStep<S: TensorScalar>(model: any Model, parameters: Parameters<Tensor<S>>, task: Task<S>,
                                          inner: InnerLoop) -> TaskResult<S> {
        MAML.taskStep(model: model, parameters: parameters, task: task, inner: inner)
    }

    /// Batched into one graph where ``TaskBatching`` applies; the same bits as task by task.
    public func shardResult<S: TensorScalar>(model: any Model, parameters: Parameters<Tensor<S>>, tasks: [Task<S>],
                                             inner: InnerLoop, traced: TracedFunction<S>?) -> ShardResult<S> {
        if TaskBatching.applies(model: model, tasks: tasks) {
            return TaskBatching.mamlShard(model: model, parameters: parameters, tasks: tasks, inner: inner, traced: traced)
        }
        return ShardResult(tasks.map { taskStep(model: model, parameters: parameters, task: $0, inner: inner) })
    }

    public func problem(with configuration: RunConfiguration) -> String? { innerStepsProblem(configuration) }

    public var keepsRunningStatistics: Bool { true }

    public var presets: [RunConfiguration] {
        [RunConfiguration(
            name: "sine-maml",
            source: "Finn et al. 2017 (MAML) §5.1: K=10, meta-batch 25, 1 inner step α=0.01, Adam 0.001, 70,000 iterations; "
                + "departure: Glorot-uniform initialisation (the reference code: truncated normal, σ = 0.01, for the weights)",
            algorithm: .maml, family: .sinusoid(support: 10, query: 10), architecture: .sineMLP(hidden: [40, 40]),
            inner: InnerLoop(steps: 1, evaluationSteps: 10, learningRate: 0.01),
            metaBatchSize: 25, outerOptimizer: .adam(learningRate: 0.001), iterations: 70_000),
         RunConfiguration.omniglot5w1s(.maml, name: "omniglot-5w1s-maml",
                                       source: "Finn et al. 2017 and its reference code: 5-way 1-shot, one query per class, meta-batch 32, "
                                           + "1 inner step α=0.4 (3 at evaluation), Adam 0.001, 60,000 iterations"),
         RunConfiguration.omniglot5w1s(.maml, firstOrder: true, name: "omniglot-5w1s-fomaml",
                                       source: "Finn et al. 2017 §5.2 first-order approximation, otherwise as omniglot-5w1s-maml"),
         RunConfiguration.omniglotMAMLSetup(.maml, ways: 20, shots: 1, name: "omniglot-20w1s-maml",
                                            source: "Finn et al. 2017 and its reference code: 20-way 1-shot, meta-batch 16, "
                                                + "5 inner steps α=0.1 (10 at evaluation), Adam 0.001, 60,000 iterations"),
         RunConfiguration.omniglotMAMLSetup(.maml, ways: 5, shots: 5, name: "omniglot-5w5s-maml",
                                            source: "Finn et al. 2017 and its reference code: 5-way 5-shot, five queries per class, "
                                                + "meta-batch 32, 1 inner step α=0.4 (3 at evaluation), Adam 0.001, 60,000 iterations"),
         RunConfiguration.omniglotMAMLSetup(.maml, ways: 20, shots: 5, name: "omniglot-20w5s-maml",
                                            source: "Finn et al. 2017 and its reference code: 20-way 5-shot, five queries per class, "
                                                + "meta-batch 16, 5 inner steps α=0.1 (10 at evaluation), Adam 0.001, 60,000 iterations"),
         RunConfiguration(
            name: "ambiguous-maml",
            source: "MAML (Finn et al. 2017) on probabilistic MAML's ambiguous regression (5 support, 100 query points), "
                + "the point-estimate baseline of ambiguous-abml with its budget: 5 inner steps α=0.01 (on the MSE), "
                + "meta-batch 10, Adam 0.001, 2,000 iterations (20,000 tasks)",
            algorithm: .maml, family: .ambiguous(support: 5, query: 100), architecture: .sineMLP(hidden: [40, 40]),
            inner: InnerLoop(steps: 5, evaluationSteps: 5, learningRate: 0.01),
            metaBatchSize: 10, outerOptimizer: .adam(learningRate: 0.001), iterations: 2_000)]
    }
}

extension LearnerID {
    public static let maml = LearnerID(registering: "maml")
}
