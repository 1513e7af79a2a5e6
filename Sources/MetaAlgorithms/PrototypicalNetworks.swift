import MetaTensor
import MetaAutodiff
import MetaNN
import MetaTasks

/// Prototypical Networks (Snell, Swersky & Zemel 2017): embed the support set, average each
/// class's embeddings into a prototype, and classify queries by a softmax over negative
/// squared Euclidean distances to the prototypes. No inner loop; the meta-gradient is the
/// gradient of the query cross-entropy with respect to the embedding's parameters (the
/// model's head is unused).
public enum PrototypicalNetworks {
    /// Logits `[queries, ways]`: −‖f(x_q) − c_k‖², with c_k the mean support embedding of class k.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public static func logits<S: TensorScalar>(model: any Model, parameters: Parameters<Variable<S>>,
                                               input: AdaptationInput<S>) -> Variable<S> {
        guard case let .classification(labels) = input.supportTargets else {
            fatalError("Prototypical Networks need a classification task")
        }
        let ways = (labels.max() ?? -1) + 1
        let support = model.features(parameters, Variable(input.supportInputs))
        let query = model.features(parameters, Variable(input.queryInputs))
        // Class means as one product: prototypes = A · support, A[k, i] = 1/|class k| if label_i = k.
        var counts = [Int](repeating: 0, count: ways)
        for l in labels { counts[l] += 1 }
        var averaging = [S](repeating: 0, count: ways * labels.count)
        for (i, l) in labels.enumerated() { averaging[l * labels.count + i] = 1 / S(counts[l]) }
        let prototypes = Variable.matmul(Variable(Tensor(shape: [ways, labels.count], scalars: averaging)), support)
        return -Losses.pairwiseSquaredDistances(query, prototypes)
    }

    /// The logits of a task's queries (see ``logits(model:parameters:input:)``).
    public static func logits<S: TensorScalar>(model: any Model, parameters: Parameters<Variable<S>>, task: Task<S>) -> Variable<S> {
        logits(model: model, parameters: parameters, input: AdaptationInput(task))
    }

    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public static func taskStep<S: TensorScalar>(model: any Model, parameters: Parameters<Tensor<S>>, task: Task<S>) -> TaskResult<S> {
        let theta = parameters.map { Variable(differentiable: $0) }
        let logits = logits(model: model, parameters: theta, task: task)
        let loss = TaskLoss.loss(logits, task.queryTargets)
        let grads = gradients(of: loss, withRespectTo: theta.values)
        return TaskResult(loss: Double(loss.scalar), metric: TaskLoss.metric(logits.value, task.queryTargets),
                          metaGradient: Parameters(layout: parameters.layout, values: grads.map { $0.value }))
    }
}

/// Prototypical Networks as a registered learner: no inner loop, the model's head unused.
public struct PrototypicalNetworksLearner: Learner {
    public init() {}
    public var id: LearnerID { .protoNet }

    public func taskStep<S: TensorScalar>(model: any Model, parameters: Parameters<Tensor<S>>, task: Task<S>,
                                          inner: InnerLoop) -> TaskResult<S> {
        PrototypicalNetworks.taskStep(model: model, parameters: parameters, task: task)
    }

    /// Negative squared distances to the support set's prototypes (one entry; no steps).
    public func queryOutputs<S: TensorScalar>(model: any Model, parameters: Parameters<Tensor<S>>, input: AdaptationInput<S>,
                                              inner: InnerLoop, steps: Int) -> [Tensor<S>] {
        [PrototypicalNetworks.logits(model: model, parameters: parameters.map { Variable($0) }, input: input).value]
    }

    public func problem(with configuration: RunConfiguration) -> String? {
        if configuration.family.spec.classes == nil { return "config key 'algorithm': protonet needs classification tasks" }
        return nil
    }

    public var usesModelHead: Bool { false }

    public var adaptsBySteps: Bool { false }

    public var presets: [RunConfiguration] {
        let departures = "departures: no learning-rate halving every 2,000 episodes; support and query are embedded "
            + "in separate batches and batch norm uses each batch's statistics at evaluation too (transductive; the paper "
            + "embeds them jointly in training and uses running statistics at test)"
        /// Snell et al.'s Omniglot training (60-way 1-shot episodes, 5 queries per class),
        /// evaluated on `ways`-way 1-shot tasks.
        func preset(evaluatedOn ways: Int, name: String, source: String) -> RunConfiguration {
            RunConfiguration(
                name: name, source: source + departures, algorithm: .protoNet, family: .omniglot(ways: 60, shots: 1, queries: 5),
                evaluationFamily: .omniglot(ways: ways, shots: 1, queries: 1),
                architecture: .protoNetEncoder, inner: InnerLoop(steps: 0, evaluationSteps: 0, learningRate: 0),
                metaBatchSize: 1, outerOptimizer: .adam(learningRate: 0.001), iterations: 20_000, validationInterval: 500)
        }
        return [preset(evaluatedOn: 5, name: "omniglot-5w1s-protonet",
                       source: "Snell et al. 2017 (Prototypical Networks): 60-way 1-shot training episodes with 5 queries per class, "
                           + "the 4-block max-pool embedding (64 features), Adam 0.001, evaluated on 5-way 1-shot; "),
                preset(evaluatedOn: 20, name: "omniglot-20w1s-protonet",
                       source: "Snell et al. 2017 (Prototypical Networks): as omniglot-5w1s-protonet (60-way 1-shot training "
                           + "episodes, 5 queries per class), evaluated on 20-way 1-shot; ")]
    }
}

extension LearnerID {
    public static let protoNet = LearnerID(registering: "protonet")
}
