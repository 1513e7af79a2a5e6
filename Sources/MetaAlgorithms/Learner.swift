import Foundation
import MetaTensor
import MetaAutodiff
import MetaNN
import MetaTasks

/// A meta-learning algorithm as the trainer, the workers and the evaluation use it: its
/// initial parameters, what one task (or a shard of tasks) contributes to the meta-update, how
/// it adapts and scores a held-out task, and which configurations it can train.
///
/// Adding a learner is one file with a type conforming to this protocol (its pure step
/// functions next to it, as ``MAML`` or ``PrototypicalNetworks``) and one line in
/// ``Learners/all``. The configuration's `algorithm:` key, its validation, checkpoints (they
/// store the name) and the workers' job (the configuration as YAML) then know it without
/// other edits.
///
/// Contract: every method is a pure function of its arguments (any process computes the same
/// bits), and ``shardResult(model:parameters:tasks:inner:traced:)`` gives the same bits as
/// reducing ``taskStep(model:parameters:task:inner:)`` over the tasks (``ShardResult``).
public protocol Learner: Sendable {
    /// The name in configuration files and checkpoints (`algorithm: NAME`); never renamed.
    var id: LearnerID { get }

    /// The meta-learned parameters before the first update (the model's, plus anything the
    /// learner learns besides, such as Meta-SGD's rates).
    func initialParameters<S: TensorScalar>(model: any Model, seed: UInt64, as: S.Type) -> Parameters<Tensor<S>>

    /// The same for a run with these inner-loop settings (ABML's prior log σ and learned
    /// noise); by default ``initialParameters(model:seed:as:)``.
    func initialParameters<S: TensorScalar>(model: any Model, seed: UInt64, inner: InnerLoop, as: S.Type) -> Parameters<Tensor<S>>

    /// One task's contribution to the meta-update: query loss, metric and meta-gradient.
    func taskStep<S: TensorScalar>(model: any Model, parameters: Parameters<Tensor<S>>, task: Task<S>,
                                   inner: InnerLoop) -> TaskResult<S>

    /// The contribution of a shard of whole reduction blocks (see ``ShardResult``); by
    /// default task by task. `traced` lets a batched step be recorded and replayed.
    func shardResult<S: TensorScalar>(model: any Model, parameters: Parameters<Tensor<S>>, tasks: [Task<S>],
                                      inner: InnerLoop, traced: TracedFunction<S>?) -> ShardResult<S>

    /// The query metric after each evaluation step 0…`steps` on one held-out task (one entry
    /// for learners that do not adapt by gradient steps). By default the metric of each entry
    /// of ``queryOutputs(model:parameters:input:inner:steps:)``, so the evaluation protocol and
    /// `metatrain adapt` share one adaptation; sequence learners score their episodes instead.
    func evaluate<S: TensorScalar>(model: any Model, parameters: Parameters<Tensor<S>>, task: Task<S>,
                                   inner: InnerLoop, steps: Int) -> [Double]

    /// How this learner adapts to a support set, as the model's outputs on the query inputs:
    /// entry k after k adaptation steps, k = 0…`steps` (inner SGD steps for the MAML family,
    /// with Meta-SGD's learned rates, ANIL's head, the meta-learner LSTM's learned updates), or
    /// a single entry for learners that adapt without steps (ProtoNets' prototypes, the Relation
    /// Network's class maps). Classification: scores `[queries, classes]` in the support's
    /// label order (logits, or what ``classProbabilities(scores:)`` turns into probabilities);
    /// regression: predictions `[queries, 1]`. Only for support/query learners
    /// (``taskShape``); the default is MAML's inner loop at `inner.learningRate`.
    func queryOutputs<S: TensorScalar>(model: any Model, parameters: Parameters<Tensor<S>>, input: AdaptationInput<S>,
                                       inner: InnerLoop, steps: Int) -> [Tensor<S>]

    /// Whether ``queryOutputs(model:parameters:input:inner:steps:)`` adapts by `steps` steps
    /// (one entry per step); false for learners that adapt without steps (one entry).
    var adaptsBySteps: Bool { get }

    /// One query's class probabilities from its row of ``queryOutputs(model:parameters:input:inner:steps:)``:
    /// the softmax of the logits by default.
    func classProbabilities(scores: [Double]) -> [Double]

    /// Why this learner cannot train `configuration`, as one line naming the configuration
    /// key; nil when it can.
    func problem(with configuration: RunConfiguration) -> String?

    /// Whether the learner classifies with the model's head (so the head's number of ways
    /// must match the evaluation tasks'); false for metric learners that compare embeddings.
    var usesModelHead: Bool { get }

    /// Whether its per-task steps put the query batch's statistics into the entries of
    /// ``Model/runningStatisticNames`` of their results (``RunningStatistics/record(model:adapted:queryInputs:into:)``),
    /// so `inner.batch_norm: running-statistics` can train with it; false by default.
    var keepsRunningStatistics: Bool { get }

    /// Whether its inner loop follows ``InnerLoop/optimizer`` and ``InnerLoop/batchSize`` (the
    /// others run SGD on the whole support set and refuse other settings); false by default.
    var takesInnerOptimizer: Bool { get }

    /// The shape of the tasks it trains on (``TaskShape``); support/query by default.
    var taskShape: TaskShape { get }

    /// Every shape of task it trains on (configurations of other shapes are refused); by
    /// default ``taskShape`` alone. ES-MAML takes any shape with a ``TaskFitness``.
    var taskShapes: [TaskShape] { get }

    /// What the entries of ``evaluate(model:parameters:task:inner:steps:)`` are indexed by,
    /// as reports label them: "inner step" (entry k after k steps) by default.
    var evaluationAxis: String { get }

    /// Its named presets (`--preset NAME`), each with its paper's settings (see
    /// ``RunConfiguration/source``); ``RunConfiguration/presets`` collects them.
    var presets: [RunConfiguration] { get }

    /// What one meta-iteration is, as a state machine of rounds (``IterationProgram``) started
    /// from `state`; by default one meta-gradient round (``MetaGradientProgram``).
    func iterationProgram<S: TensorScalar>(trainer: MetaTrainer<S>, state: MetaTrainer<S>.State) -> any IterationProgram<S>

    /// The answer for `items` (consecutive indices, starting at a reduction-block boundary) of a
    /// round with this work code and payload, on `parameters`: block sums or scalars, as the
    /// learner's request said. A pure function of its arguments (what a worker runs). nil for
    /// a work code the learner does not know. By default work 0 is the meta-gradient step
    /// (``shardResult(model:parameters:tasks:inner:traced:)`` over the items' tasks).
    func workResult<S: TensorScalar>(trainer: MetaTrainer<S>, work: UInt16, payload: [Double], iteration: Int, items: [Int],
                                     parameters: Parameters<Tensor<S>>) -> ShardResult<S>?

    /// The longest payload its requests carry in a run of `configuration` for a model of
    /// `parameterCount` scalars (the job's message limit is derived from it); 0 by default.
    func maxPayloadValues(configuration: RunConfiguration, parameterCount: Int) -> Int

    /// The most scalars per item its requests ask for, whatever the configuration; 0 by default.
    var maxScalarsPerItem: Int { get }

    /// The most scalars per item its requests ask for in a run of `configuration` for a model
    /// of `parameterCount` scalars (the job's message limit is derived from it); by default
    /// ``maxScalarsPerItem``.
    func maxScalarsPerItem(configuration: RunConfiguration, parameterCount: Int) -> Int
}

extension Learner {
    public func initialParameters<S: TensorScalar>(model: any Model, seed: UInt64, as: S.Type) -> Parameters<Tensor<S>> {
        model.initialParameters(seed: seed, as: S.self)
    }

    public func initialParameters<S: TensorScalar>(model: any Model, seed: UInt64, inner: InnerLoop, as: S.Type) -> Parameters<Tensor<S>> {
        initialParameters(model: model, seed: seed, as: S.self)
    }

    public func shardResult<S: TensorScalar>(model: any Model, parameters: Parameters<Tensor<S>>, tasks: [Task<S>],
                                             inner: InnerLoop, traced: TracedFunction<S>?) -> ShardResult<S> {
        ShardResult(tasks.map { taskStep(model: model, parameters: parameters, task: $0, inner: inner) })
    }

    public func evaluate<S: TensorScalar>(model: any Model, parameters: Parameters<Tensor<S>>, task: Task<S>,
                                          inner: InnerLoop, steps: Int) -> [Double] {
        queryOutputs(model: model, parameters: parameters, input: AdaptationInput(task), inner: inner, steps: steps)
            .map { TaskLoss.metric($0, task.queryTargets) }
    }

    public func queryOutputs<S: TensorScalar>(model: any Model, parameters: Parameters<Tensor<S>>, input: AdaptationInput<S>,
                                              inner: InnerLoop, steps: Int) -> [Tensor<S>] {
        MAML.queryOutputs(model: model, parameters: parameters, input: input, steps: steps, learningRate: inner.learningRate)
    }

    public func classProbabilities(scores: [Double]) -> [Double] {
        // Shifted by the maximum, so large logits cannot overflow.
        let top = scores.max() ?? 0
        let e = scores.map { Foundation.exp($0 - top) }
        let total = e.reduce(0, +)
        return e.map { $0 / total }
    }

    public func problem(with configuration: RunConfiguration) -> String? { nil }

    public var adaptsBySteps: Bool { true }

    public var usesModelHead: Bool { true }

    public var keepsRunningStatistics: Bool { false }

    public var takesInnerOptimizer: Bool { false }

    public var taskShape: TaskShape { .supportQuery }

    public var taskShapes: [TaskShape] { [taskShape] }

    public var evaluationAxis: String { "inner step" }

    public var presets: [RunConfiguration] { [] }

    public func iterationProgram<S: TensorScalar>(trainer: MetaTrainer<S>, state: MetaTrainer<S>.State) -> any IterationProgram<S> {
        MetaGradientProgram(trainer: trainer, state: state)
    }

    public func workResult<S: TensorScalar>(trainer: MetaTrainer<S>, work: UInt16, payload: [Double], iteration: Int, items: [Int],
                                            parameters: Parameters<Tensor<S>>) -> ShardResult<S>? {
        guard work == 0 else { return nil }
        let tasks = items.map { trainer.task(iteration: iteration, index: $0) }
        return shardResult(model: trainer.model, parameters: parameters, tasks: tasks, inner: trainer.configuration.inner,
                           traced: trainer.tracedShards)
    }

    public func maxPayloadValues(configuration: RunConfiguration, parameterCount: Int) -> Int { 0 }

    public var maxScalarsPerItem: Int { 0 }

    public func maxScalarsPerItem(configuration: RunConfiguration, parameterCount: Int) -> Int { maxScalarsPerItem }

    /// The problem of a learner that adapts by gradient steps with none configured.
    func innerStepsProblem(_ c: RunConfiguration) -> String? {
        c.inner.steps < 1 ? "config key 'inner.steps': \(id.rawValue) needs at least one inner step" : nil
    }
}

/// The registered learners.
public enum Learners {
    /// Every learner, in the order errors and `--help` list them: one line each.
    public static let all: [any Learner] = [
        MAMLLearner(),
        ReptileLearner(),
        MetaSGDLearner(),
        ANILLearner(),
        PrototypicalNetworksLearner(),
        PretrainingLearner(),
        BaselineLearner(),
        RelationNetworkLearner(),
        MetaLSTMLearner(),
        MANNLearner(),
        MAMLTRPOLearner(),
        MAMLTRPOLearner(id: .randomPolicy, updates: false),
        ESMAMLLearner(),
        ABMLLearner(),
    ]

    /// The learner registered under `name`.
    public static func named(_ name: String) -> (any Learner)? { all.first { $0.id.rawValue == name } }
}

/// A learner's name, as written in configuration files and checkpoints. Only registered names
/// can be made from strings (``init(rawValue:)``); each learner file declares its constant
/// (`LearnerID.maml`, …).
public struct LearnerID: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String

    /// The registered learner of that name, or nil.
    public init?(rawValue: String) {
        guard Learners.named(rawValue) != nil else { return nil }
        self.rawValue = rawValue
    }

    /// A learner file's own constant.
    init(registering name: String) { rawValue = name }

    public var description: String { rawValue }

    /// Every registered name.
    public static var allCases: [LearnerID] { Learners.all.map(\.id) }

    /// The learner.
    public var learner: any Learner { Learners.named(rawValue)! }

    /// The learner's initial parameters; with `inner`, those of a run with these inner-loop settings.
    public func initialParameters<S: TensorScalar>(model: any Model, seed: UInt64, inner: InnerLoop? = nil,
                                                   as: S.Type = S.self) -> Parameters<Tensor<S>> {
        guard let inner else { return learner.initialParameters(model: model, seed: seed, as: S.self) }
        return learner.initialParameters(model: model, seed: seed, inner: inner, as: S.self)
    }

    public func taskStep<S: TensorScalar>(model: any Model, parameters: Parameters<Tensor<S>>, task: Task<S>,
                                          inner: InnerLoop) -> TaskResult<S> {
        learner.taskStep(model: model, parameters: parameters, task: task, inner: inner)
    }

    public func shardResult<S: TensorScalar>(model: any Model, parameters: Parameters<Tensor<S>>, tasks: [Task<S>],
                                             inner: InnerLoop, traced: TracedFunction<S>? = nil) -> ShardResult<S> {
        learner.shardResult(model: model, parameters: parameters, tasks: tasks, inner: inner, traced: traced)
    }

    public func evaluate<S: TensorScalar>(model: any Model, parameters: Parameters<Tensor<S>>, task: Task<S>,
                                          inner: InnerLoop, steps: Int) -> [Double] {
        learner.evaluate(model: model, parameters: parameters, task: task, inner: inner, steps: steps)
    }

    public func queryOutputs<S: TensorScalar>(model: any Model, parameters: Parameters<Tensor<S>>, input: AdaptationInput<S>,
                                              inner: InnerLoop, steps: Int) -> [Tensor<S>] {
        learner.queryOutputs(model: model, parameters: parameters, input: input, inner: inner, steps: steps)
    }
}

/// The configuration's name for a learner (kept for the call sites written before learners
/// were registered).
public typealias Algorithm = LearnerID
