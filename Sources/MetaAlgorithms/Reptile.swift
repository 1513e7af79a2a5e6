import MetaTensor
import MetaAutodiff
import MetaNN
import MetaOptim
import MetaRandom
import MetaTasks

/// Reptile (Nichol, Achiam & Schulman 2018) as a pure per-task step.
///
/// Adapt by `steps` inner steps on the support set to φ, and return θ − φ as the task's
/// "meta-gradient": an outer SGD step with rate ε then moves θ toward φ, θ ← θ + ε(φ − θ), the
/// paper's update (the mean over the meta-batch of θ − φ, as the reference code's
/// `interpolate_vars(old, average_vars(new), ε)`). The reported loss and metric are the
/// query's after adaptation.
///
/// The inner loop is plain SGD on the whole support set by default, which keeps the defining
/// property exact: with one step, θ − φ = α∇L_support(θ). The paper's is configurable: Adam with
/// β₁ = 0 (``InnerOptimizer``) on mini-batches (``InnerLoop/batchSize``), see
/// ``trajectory(model:parameters:input:inner:steps:)``.
public enum Reptile {
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public static func taskStep<S: TensorScalar>(model: any Model, parameters: Parameters<Tensor<S>>, task: Task<S>,
                                                 inner: InnerLoop) -> TaskResult<S> {
        let adapted: Parameters<Tensor<S>>
        if usesWholeSupportSGD(inner) {
            adapted = InnerUpdate.adapt(model: model, parameters: parameters.map { Variable(differentiable: $0) },
                                        inputs: task.supportInputs, targets: task.supportTargets, steps: inner.steps,
                                        learningRate: S(inner.learningRate), createGraph: false).map { $0.value }
        } else {
            adapted = trajectory(model: model, parameters: parameters, input: AdaptationInput(task), inner: inner, steps: inner.steps).last!
        }
        let prediction = model.apply(adapted.map { Variable($0) }, Variable(task.queryInputs))
        let loss = TaskLoss.loss(prediction, task.queryTargets)
        return TaskResult(loss: Double(loss.scalar), metric: TaskLoss.metric(prediction.value, task.queryTargets),
                          metaGradient: parameters.zip(adapted) { $0 - $1 })
    }

    /// Whether `inner` is plain SGD on the whole support set (the inner loop every gradient
    /// learner shares, ``InnerUpdate``).
    public static func usesWholeSupportSGD(_ inner: InnerLoop) -> Bool { inner.optimizer == .sgd && inner.batchSize == nil }

    /// The purpose of the streams that order the support set into mini-batches.
    public static let miniBatchPurpose = RandomPurpose("reptile-mini-batches")

    /// The parameters after 0, 1, …, `steps` inner steps of `inner.optimizer` at
    /// `inner.learningRate`, each on the next mini-batch of ``miniBatches(count:size:steps:key:)``
    /// (keyed by the task's content, ``ABML/sampleKey(_:)``, so every process draws the same
    /// batches for the same task). No graph is kept: Reptile is first order.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public static func trajectory<S: TensorScalar>(model: any Model, parameters: Parameters<Tensor<S>>, input: AdaptationInput<S>,
                                                   inner: InnerLoop, steps: Int) -> [Parameters<Tensor<S>>] {
        let count = input.supportInputs.shape[0]
        let batches = miniBatches(count: count, size: inner.batchSize ?? count, steps: steps, key: ABML.sampleKey(input))
        var fast = parameters
        var path = [fast]
        var adam: (optimizer: Adam<S>, state: Adam<S>.State)?
        if case let .adam(beta1) = inner.optimizer {
            let optimizer = Adam<S>(learningRate: S(inner.learningRate), beta1: S(beta1))
            adam = (optimizer, optimizer.initialState(for: parameters))
        }
        for batch in batches {
            let x = Tensor.concatenate(batch.map { input.supportInputs.slice(axis: 0, start: $0, length: 1) }, axis: 0)
            let y: Targets<S>
            switch input.supportTargets {
            case let .classification(labels): y = .classification(batch.map { labels[$0] })
            case let .regression(t): y = .regression(Tensor.concatenate(batch.map { t.slice(axis: 0, start: $0, length: 1) }, axis: 0))
            }
            let theta = fast.map { Variable(differentiable: $0) }
            let loss = TaskLoss.loss(model.apply(theta, Variable(x)), y)
            let gradient = Parameters(layout: fast.layout, values: gradients(of: loss, withRespectTo: theta.values).map(\.value))
            if let a = adam {
                let (next, nextState) = a.optimizer.update(fast, gradients: gradient, state: a.state)
                fast = next
                adam = (a.optimizer, nextState)
            } else {
                let rate = S(inner.learningRate)
                fast = fast.zip(gradient) { $0 - $1 * rate }
            }
            path.append(fast)
        }
        return path
    }

    /// `steps` mini-batches of `size` indices into `0..<count`, sampled as the reference code's
    /// `_mini_batches` without replacement: the indices in a fresh random order per pass, cut into
    /// consecutive batches, a batch continuing into the next pass where one ends (so a batch
    /// larger than the set holds every example about equally often).
    public static func miniBatches(count: Int, size: Int, steps: Int, key: UInt64) -> [[Int]] {
        require(count > 0 && size > 0, "Reptile mini-batches: \(count) examples, batches of \(size)")
        var stream = RandomStream(seed: key, purpose: miniBatchPurpose)
        var batches: [[Int]] = []
        var current: [Int] = []
        while batches.count < steps {
            var order = Array(0..<count)
            stream.shuffle(&order)
            for i in order where batches.count < steps {
                current.append(i)
                if current.count == size {
                    batches.append(current)
                    current = []
                }
            }
        }
        return batches
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

    /// The inner loop of training (``Reptile/trajectory(model:parameters:input:inner:steps:)``)
    /// run for `steps` steps; MAML's SGD loop when `inner` is plain SGD on the whole support set.
    public func queryOutputs<S: TensorScalar>(model: any Model, parameters: Parameters<Tensor<S>>, input: AdaptationInput<S>,
                                              inner: InnerLoop, steps: Int) -> [Tensor<S>] {
        guard !Reptile.usesWholeSupportSGD(inner) else {
            return MAML.queryOutputs(model: model, parameters: parameters, input: input, steps: steps, learningRate: inner.learningRate)
        }
        let xq = Variable(input.queryInputs)
        return Reptile.trajectory(model: model, parameters: parameters, input: input, inner: inner, steps: steps)
            .map { model.predict($0.map { Variable($0) }, xq).value }
    }

    public var takesInnerOptimizer: Bool { true }

    public func problem(with configuration: RunConfiguration) -> String? { innerStepsProblem(configuration) }

    public var presets: [RunConfiguration] {
        [RunConfiguration(
            name: "omniglot-5w1s-reptile",
            source: "Nichol et al. 2018 (Reptile), supervised-reptile's command for transductive 1-shot 5-way Omniglot: "
                + "meta-training tasks of 15 shots per class (--train-shots 15), 3 inner steps of Adam (β1 = 0, lr 0.001) on "
                + "mini-batches of 25, meta-batch 10, meta step size 1 annealed linearly to 0, 100,000 iterations; evaluation "
                + "on 1-shot tasks, one query per class, 5 inner steps on batches of 25, transductive (batch statistics), as the "
                + "paper's 97.68 % is; departures: the inner Adam's moments start at zero for each task (the reference keeps "
                + "them across tasks and iterations); the CNN averages its last 2×2 map (the reference flattens it into the head); "
                + "the paper's appendix table lists other settings (10 training shots, batches of 10, 5 steps, meta-batch 5, "
                + "50 evaluation steps on batches of 5); " + RunConfiguration.omniglotCNNDepartures,
            algorithm: .reptile, family: .omniglot(ways: 5, shots: 15, queries: 1),
            evaluationFamily: .omniglot(ways: 5, shots: 1, queries: 1),
            architecture: .omniglotCNN(ways: 5),
            inner: InnerLoop(steps: 3, evaluationSteps: 5, learningRate: 0.001, optimizer: .adam(beta1: 0), batchSize: 25),
            metaBatchSize: 10, outerOptimizer: .sgd(learningRate: 1.0), finalOuterLearningRate: 0, iterations: 100_000,
            validationInterval: 1_000)]
    }
}

extension LearnerID {
    public static let reptile = LearnerID(registering: "reptile")
}
