import MetaNN
import MetaTasks

/// Everything that defines a meta-training run. A value: the same configuration and seed give
/// the same run in any process. The learner, task family and architecture are registered
/// components (``Learners``, ``TaskFamilies``, ``Architectures``), each reading its own keys.
public struct RunConfiguration: Sendable, Equatable {
    public var name: String
    /// Where the hyper-parameters come from.
    public var source: String
    public var algorithm: Algorithm
    public var family: Family
    /// Tasks for validation and the final evaluation, when they differ from training's
    /// (ProtoNets trains on 60-way episodes and is evaluated on 5-way tasks).
    public var evaluationFamily: Family?
    public var architecture: Architecture
    public var inner: InnerLoop
    /// Where the CNN's batch norm takes its statistics when queries are scored (`inner.batch_norm`):
    /// the batch's (transductive, the default) or running statistics kept by the trainer.
    public var batchNorm: BatchNormMode
    public var metaBatchSize: Int
    public var outerOptimizer: OuterOptimizer
    /// The outer learning rate the schedule anneals to (`outer.final_learning_rate`): at iteration
    /// i of N the rate is (i/N)·final + (1 − i/N)·initial, Reptile's linear annealing of its meta
    /// step size (``outerOptimizer(iteration:)``); nil (the default): a constant rate.
    public var finalOuterLearningRate: Double?
    public var iterations: Int
    public var seed: UInt64
    public var validationInterval: Int
    public var validationTasks: Int
    public var evaluationTasks: Int
    /// Evaluation tasks are drawn from this seed, independent of the training seed.
    public var evaluationSeed: UInt64
    /// The standard deviation σ of evolution-strategy perturbations θ + σε (`es.sigma`), for
    /// learners that perturb (``ESMAMLLearner``); nil for the others.
    public var perturbationScale: Double?
    /// Whether the workers form the evolution-strategy estimate Σ_j w_j ε_j (`es.reduce:
    /// workers`, a second round per iteration) instead of the coordinator (`coordinator`, the
    /// default).
    public var perturbationSumOnWorkers: Bool

    public init(name: String, source: String, algorithm: Algorithm, family: Family, evaluationFamily: Family? = nil,
                architecture: Architecture, inner: InnerLoop, batchNorm: BatchNormMode = .batchStatistics,
                metaBatchSize: Int, outerOptimizer: OuterOptimizer, finalOuterLearningRate: Double? = nil, iterations: Int, seed: UInt64 = 1,
                validationInterval: Int = 1_000, validationTasks: Int = 100, evaluationTasks: Int = 600,
                evaluationSeed: UInt64 = 20_170_000, perturbationScale: Double? = nil, perturbationSumOnWorkers: Bool = false) {
        self.name = name; self.source = source; self.algorithm = algorithm; self.family = family
        self.evaluationFamily = evaluationFamily; self.architecture = architecture; self.inner = inner
        self.batchNorm = batchNorm; self.metaBatchSize = metaBatchSize; self.outerOptimizer = outerOptimizer
        self.finalOuterLearningRate = finalOuterLearningRate
        self.iterations = iterations; self.seed = seed; self.validationInterval = validationInterval
        self.validationTasks = validationTasks; self.evaluationTasks = evaluationTasks; self.evaluationSeed = evaluationSeed
        self.perturbationScale = perturbationScale
        self.perturbationSumOnWorkers = perturbationSumOnWorkers
    }

    /// Builds a task family; loading Omniglot can fail (missing or damaged archives).
    public static func makeTaskFamily(_ family: Family) throws -> any TaskFamily { try family.spec.makeTasks() }

    /// The network (see ``Architecture``), its batch norm in the mode of ``batchNorm``.
    public var model: any Model {
        let model = architecture.spec.model
        guard batchNorm != .batchStatistics, let net = model as? ConvNet else { return model }
        return net.withBatchNorm(batchNorm)
    }

    /// The outer optimizer of `iteration` (from 0): ``outerOptimizer`` with its learning rate
    /// annealed toward ``finalOuterLearningRate`` when one is set, as supervised-reptile's
    /// `frac_done * meta_step_size_final + (1 - frac_done) * meta_step_size` with
    /// `frac_done = i / iterations` (so the last iteration's rate is 1/N of the way short of the final one).
    public func outerOptimizer(iteration: Int) -> OuterOptimizer {
        guard let final = finalOuterLearningRate else { return outerOptimizer }
        let done = Double(iteration) / Double(iterations)
        return outerOptimizer.withLearningRate(done * final + (1 - done) * outerOptimizer.learningRate)
    }

    /// What the run reports: the training tasks' metric.
    public var metric: Metric { family.spec.metric }
}
