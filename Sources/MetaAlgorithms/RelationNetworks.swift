import MetaTensor
import MetaAutodiff
import MetaNN
import MetaTasks

/// Relation Networks (Sung et al., "Learning to Compare", CVPR 2018) as a pure per-task step.
///
/// For one task: embed the support and query sets with f (two passes, so batch norm uses
/// each set's own statistics, as the authors' code does); sum each class's support feature
/// maps into one class map (the paper's K-shot rule: "we element-wise sum over the embedding
/// module outputs of all samples from each training class"); score every (query, class) pair
/// with the relation module g in one batched pass; the loss is the mean squared error between
/// the scores and the one-hot match targets 1(y_q = k), and the prediction is the class of
/// largest score. No inner loop: the meta-gradient is the gradient of that loss with respect
/// to all parameters of f and g.
///
/// Departure: the paper writes the loss as a sum over pairs; this is its mean (the authors'
/// code uses `MSELoss`, a mean), which only rescales the gradient.
public struct RelationNetworks: Sendable {
    public let model: RelationNetworkModel

    public init(model: RelationNetworkModel) { self.model = model }

    /// Initial parameters of f and g (``Model/initialParameters(seed:as:)``).
    public func initialParameters<S: TensorScalar>(seed: UInt64, as: S.Type = S.self) -> Parameters<Tensor<S>> {
        model.initialParameters(seed: seed, as: S.self)
    }

    /// Class maps `[ways, c, h, w]`: row k the sum of the rows of `features` (`[n, c, h, w]`)
    /// labelled k. One product with the 0/1 membership matrix M (M[k, i] = 1 iff label_i = k),
    /// so the derivative is the transposed product and no per-class graph is built.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public static func classSums<S: TensorScalar>(_ features: Variable<S>, labels: [Int], ways: Int) -> Variable<S> {
        require(features.shape[0] == labels.count && labels.allSatisfy { (0..<ways).contains($0) },
                "RelationNetworks.classSums: \(features.shape[0]) feature rows, labels \(labels) for \(ways) ways")
        var membership = [S](repeating: 0, count: ways * labels.count)
        for (i, l) in labels.enumerated() { membership[l * labels.count + i] = 1 }
        let map = Array(features.shape.dropFirst())
        let sums = Variable.matmul(Variable(Tensor(shape: [ways, labels.count], scalars: membership)),
                                   features.reshaped([labels.count, -1]))
        return sums.reshaped([ways] + map)
    }

    /// Relation scores `[queries, ways]` from already embedded support and query sets.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public func scores<S: TensorScalar>(parameters: Parameters<Variable<S>>, supportFeatures: Variable<S>,
                                        labels: [Int], queryFeatures: Variable<S>) -> Variable<S> {
        let ways = (labels.max() ?? -1) + 1
        let classes = Self.classSums(supportFeatures, labels: labels, ways: ways)
        return model.scores(parameters, classes: classes, queries: queryFeatures)
    }

    /// Relation scores `[queries, ways]` of the query inputs against the support set's classes.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public func scores<S: TensorScalar>(parameters: Parameters<Variable<S>>, input: AdaptationInput<S>) -> Variable<S> {
        guard case let .classification(labels) = input.supportTargets else {
            fatalError("Relation Networks need a classification task")
        }
        return scores(parameters: parameters, supportFeatures: model.embed(parameters, Variable(input.supportInputs)),
                      labels: labels, queryFeatures: model.embed(parameters, Variable(input.queryInputs)))
    }

    /// Relation scores `[queries, ways]` of a classification task's queries against its classes.
    public func scores<S: TensorScalar>(parameters: Parameters<Variable<S>>, task: Task<S>) -> Variable<S> {
        scores(parameters: parameters, input: AdaptationInput(task))
    }

    /// Mean squared error between `scores` (`[queries, ways]`) and the one-hot targets of `labels`.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public static func loss<S: TensorScalar>(scores: Variable<S>, labels: [Int]) -> Variable<S> {
        require(scores.rank == 2 && scores.shape[0] == labels.count,
                "shape error in RelationNetworks.loss: scores \(scores.shape) vs \(labels.count) labels")
        return Losses.meanSquaredError(scores, Variable(Tensor<S>.oneHot(labels, classes: scores.shape[1])))
    }

    /// The query loss, the query accuracy (argmax score), and the gradient of the loss with
    /// respect to every parameter.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public func taskStep<S: TensorScalar>(parameters: Parameters<Tensor<S>>, task: Task<S>) -> TaskResult<S> {
        guard case let .classification(queryLabels) = task.queryTargets else {
            fatalError("Relation Networks need a classification task")
        }
        let theta = parameters.map { Variable(differentiable: $0) }
        let scores = scores(parameters: theta, task: task)
        let loss = Self.loss(scores: scores, labels: queryLabels)
        let grads = gradients(of: loss, withRespectTo: theta.values)
        return TaskResult(loss: Double(loss.scalar), metric: Losses.accuracy(logits: scores.value, labels: queryLabels),
                          metaGradient: Parameters(layout: parameters.layout, values: grads.map { $0.value }))
    }

    /// Query accuracy with class maps from the support set (a single "step 0" entry, as
    /// Prototypical Networks report).
    public func evaluate<S: TensorScalar>(parameters: Parameters<Tensor<S>>, task: Task<S>) -> [Double] {
        guard case let .classification(queryLabels) = task.queryTargets else {
            fatalError("Relation Networks need a classification task")
        }
        return [Losses.accuracy(logits: scores(parameters: parameters.map { Variable($0) }, task: task).value,
                                labels: queryLabels)]
    }
}

/// Relation Networks as a registered learner: no inner loop; the model is the
/// `relation-network` architecture (``RelationNetworkModel``).
public struct RelationNetworkLearner: Learner {
    public init() {}
    public var id: LearnerID { .relationNet }

    static func network(_ model: any Model) -> RelationNetworks {
        guard let m = model as? RelationNetworkModel else {
            fatalError("relationnet needs the relation-network architecture (checked by problem(with:))")
        }
        return RelationNetworks(model: m)
    }

    public func taskStep<S: TensorScalar>(model: any Model, parameters: Parameters<Tensor<S>>, task: Task<S>,
                                          inner: InnerLoop) -> TaskResult<S> {
        Self.network(model).taskStep(parameters: parameters, task: task)
    }

    /// Relation scores against the support set's class maps (one entry; no steps).
    public func queryOutputs<S: TensorScalar>(model: any Model, parameters: Parameters<Tensor<S>>, input: AdaptationInput<S>,
                                              inner: InnerLoop, steps: Int) -> [Tensor<S>] {
        [Self.network(model).scores(parameters: parameters.map { Variable($0) }, input: input).value]
    }

    /// A query's relation scores (each in [0, 1], one per class, independent) normalised to sum
    /// to 1: the network is trained to score a match 1 and a mismatch 0, not to give logits.
    public func classProbabilities(scores: [Double]) -> [Double] {
        let clipped = scores.map { max(0, $0) }
        let total = clipped.reduce(0, +)
        return total > 0 ? clipped.map { $0 / total } : clipped.map { _ in 1 / Double(clipped.count) }
    }

    public func problem(with c: RunConfiguration) -> String? {
        if c.architecture.as(RelationNetworkArchitecture.self) == nil {
            return "config key 'model.architecture': relationnet needs the relation-network architecture, got \(c.architecture.name)"
        }
        if c.family.spec.classes == nil { return "config key 'algorithm': relationnet needs classification tasks" }
        return nil
    }

    public var usesModelHead: Bool { false }

    public var adaptsBySteps: Bool { false }

    public var presets: [RunConfiguration] {
        func preset(ways: Int, queries: Int) -> RunConfiguration {
            RunConfiguration(
                name: "omniglot-\(ways)w1s-relationnet",
                source: "Sung et al. 2018 (Relation Network) §4.1: Omniglot \(ways)-way 1-shot, \(queries) query images per class "
                    + "in training episodes, one episode per update, Adam 0.001, 1,000,000 episodes; departure: no halving of "
                    + "the learning rate every 100,000 episodes",
                algorithm: .relationNet, family: .omniglot(ways: ways, shots: 1, queries: queries),
                architecture: .relationNetwork(side: 28),
                inner: InnerLoop(steps: 0, evaluationSteps: 0, learningRate: 0),
                metaBatchSize: 1, outerOptimizer: .adam(learningRate: 0.001), iterations: 1_000_000, validationInterval: 500)
        }
        return [preset(ways: 5, queries: 19), preset(ways: 20, queries: 10)]
    }
}

extension LearnerID {
    public static let relationNet = LearnerID(registering: "relationnet")
}
