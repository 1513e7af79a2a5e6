import MetaTensor
import MetaAutodiff
import MetaNN
import MetaOptim
import MetaTasks

/// Single-process meta-training: for each iteration, the per-task steps of tasks 0…B−1,
/// their meta-gradients reduced in task order, and one outer optimizer step.
///
/// The state is explicit (parameters, optimizer state, next iteration); ``step(_:)`` is a
/// pure function of it and of the configuration, so a run can be stopped and resumed, or its
/// tasks computed elsewhere, with the same result.
public struct MetaTrainer<S: TensorScalar> {
    public struct State: Sendable {
        public var parameters: Parameters<Tensor<S>>
        public var optimizer: OuterOptimizer.State<S>
        /// The next iteration to run.
        public var iteration: Int

        /// A state restored from elsewhere (a checkpoint): `optimizer` must be the state of the
        /// configuration's outer optimizer for `parameters`, `iteration` the next one to run.
        public init(parameters: Parameters<Tensor<S>>, optimizer: OuterOptimizer.State<S>, iteration: Int) {
            self.parameters = parameters; self.optimizer = optimizer; self.iteration = iteration
        }
    }
    public struct IterationMetrics: Sendable {
        public var iteration: Int
        public var metaLoss: Double
        public var metric: Double
    }

    /// The configuration it was built from, with the data sets it loaded pinned by content
    /// (``TaskFamilySpec/dataDigest``): what runs record, checkpoints hold and workers are sent.
    public let configuration: RunConfiguration
    public let model: any Model
    public let family: any TaskFamily
    /// Validation and test tasks (the training family unless the configuration names another).
    public let evaluationFamily: any TaskFamily
    public let optimizer: OuterOptimizer
    /// The recorded-and-replayed batched step (``TracedFunction``), shared by copies of this
    /// trainer; nil when tracing is off (the same bits, computed eagerly every time).
    public let tracedShards: TracedFunction<S>?

    /// Builds the trainer; throws when a data set cannot be loaded, or has another content
    /// digest than the configuration pins. `tracing` lets batched steps be recorded and replayed
    /// (see ``TaskBatching``); results are the same either way.
    public init(configuration: RunConfiguration, tracing: Bool = true) throws {
        tracedShards = tracing ? TracedFunction() : nil
        model = configuration.model
        family = try RunConfiguration.makeTaskFamily(configuration.family)
        evaluationFamily = try configuration.evaluationFamily.map(RunConfiguration.makeTaskFamily) ?? family
        optimizer = configuration.outerOptimizer
        var pinned = configuration
        if let digest = family.contentDigest { pinned.family = pinned.family.pinned(toData: digest) }
        if let e = pinned.evaluationFamily, let digest = evaluationFamily.contentDigest {
            pinned.evaluationFamily = e.pinned(toData: digest)
        }
        self.configuration = pinned
    }

    public func initialState() -> State {
        let p = configuration.algorithm.initialParameters(model: model, seed: configuration.seed, inner: configuration.inner, as: S.self)
        return State(parameters: p, optimizer: optimizer.initialState(for: p), iteration: 0)
    }

    /// The task `index` of `iteration` (the same in every process).
    public func task(iteration: Int, index: Int) -> Task<S> {
        family.task(seed: configuration.seed, iteration: UInt64(iteration), index: UInt32(index), split: .train, as: S.self)
    }

    /// The per-task step (what a worker runs).
    public func taskResult(parameters: Parameters<Tensor<S>>, iteration: Int, index: Int) -> TaskResult<S> {
        configuration.algorithm.taskStep(model: model, parameters: parameters,
                                         task: task(iteration: iteration, index: index), inner: configuration.inner)
    }

    /// The outer update from task results given in task-index order.
    public func apply(_ results: [TaskResult<S>], to state: State) -> (State, IterationMetrics) {
        apply(ShardResult(results), to: state)
    }

    /// The outer update from the whole meta-batch as one shard.
    public func apply(_ shard: ShardResult<S>, to state: State) -> (State, IterationMetrics) {
        apply(blockSums: shard.blockSums, losses: shard.losses, metrics: shard.metrics, to: state)
    }

    /// The outer update from the meta-gradients' block sums (``MetaGradient``) and the tasks'
    /// losses and metrics, all in task-index order: what the coordinator applies, and
    /// bit-identical to ``apply(_:to:)`` on the same tasks.
    public func apply(blockSums: [Parameters<Tensor<S>>], losses: [Double], metrics: [Double], to state: State) -> (State, IterationMetrics) {
        apply(gradient: MetaGradient.mean(blockSums: blockSums, taskCount: losses.count), losses: losses, metrics: metrics, to: state)
    }

    /// The outer optimizer's step on `gradient`, with the iteration's figures as the means of
    /// `losses` and `metrics` (item order): the end of every ``IterationProgram``. The entries of
    /// the model's running statistics hold the tasks' mean batch statistics instead of a
    /// gradient; they are folded in, not stepped (``RunningStatistics``).
    public func apply(gradient: Parameters<Tensor<S>>, losses: [Double], metrics: [Double], to state: State) -> (State, IterationMetrics) {
        let names = model.runningStatisticNames
        let optimizer = configuration.outerOptimizer(iteration: state.iteration)
        var p: Parameters<Tensor<S>>, o: OuterOptimizer.State<S>
        if names.isEmpty {
            (p, o) = optimizer.update(state.parameters, gradients: gradient, state: state.optimizer)
        } else {
            let (g, statistics) = RunningStatistics.split(gradient, names: names)
            (p, o) = optimizer.update(state.parameters, gradients: g, state: state.optimizer)
            for name in names { p[name] = state.parameters[name] }
            RunningStatistics.fold(statistics, into: &p, names: names)
        }
        let n = Double(losses.count)
        let m = IterationMetrics(iteration: state.iteration, metaLoss: losses.reduce(0, +) / n, metric: metrics.reduce(0, +) / n)
        return (State(parameters: p, optimizer: o, iteration: state.iteration + 1), m)
    }

    /// One meta-iteration in this process: the learner's ``IterationProgram`` with every round's
    /// items computed here, in index order (a coordinator runs the same program with the items
    /// computed by its workers).
    public func step(_ state: State) -> (State, IterationMetrics) {
        var program = configuration.algorithm.learner.iterationProgram(trainer: self, state: state)
        while true {
            let request = program.request
            let result = workResult(request, iteration: state.iteration, items: Array(0..<request.items), parameters: state.parameters)
            if case .update(let next, let metrics) = program.next(result) { return (next, metrics) }
        }
    }

    /// The answer for `items` of `request` (what a worker runs for its shard of a round).
    /// Stops when the learner does not know the request's work code: its own program asked.
    public func workResult(_ request: WorkRequest, iteration: Int, items: [Int], parameters: Parameters<Tensor<S>>) -> ShardResult<S> {
        guard let result = configuration.algorithm.learner.workResult(trainer: self, work: request.work, payload: request.payload,
                                                                       iteration: iteration, items: items, parameters: parameters)
        else { fatalError("\(configuration.algorithm) asked for work \(request.work), which it does not compute") }
        return result
    }

    /// The evaluation protocol on `split`.
    public func evaluate(_ parameters: Parameters<Tensor<S>>, split: TaskSplit, tasks: Int, steps: Int? = nil) -> EvaluationReport {
        Evaluation.run(algorithm: configuration.algorithm, model: model, parameters: parameters, family: evaluationFamily, split: split,
                       seed: configuration.evaluationSeed, tasks: tasks, steps: steps ?? configuration.inner.evaluationSteps,
                       inner: configuration.inner, metric: configuration.metric)
    }
}
