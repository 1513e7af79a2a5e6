import MetaTensor
import MetaRandom
import MetaAutodiff
import MetaNN
import MetaTasks
import MetaRL

/// ES-MAML (Song et al., "ES-MAML: Simple Hessian-Free Meta Learning", ICLR 2020) with the
/// evolution strategy of Salimans et al. 2017, as pure functions.
///
/// The meta-objective of a task T is its fitness after adaptation, f_T(θ) = F(U(θ, T), T),
/// with U the adaptation operator and F the tasks' ``TaskFitness``: −L_query on support/query
/// tasks (``SupervisedFitness``), the mean return on navigation tasks (``EnvironmentFitness``). Its gradient is estimated from antithetic pairs of
/// perturbations, pair j evaluated on task j of the iteration:
///
///     ĝ = 1/(2Nσ) Σ_j (F(θ+σε_j) − F(θ−σε_j)) ε_j,   ε_j ~ N(0, I),  j = 0…N−1
///
/// where F are the fitnesses after fitness shaping by centred ranks (Salimans et al. §2.2:
/// the 2N fitnesses replaced by their ranks scaled to [−0.5, 0.5]; ties get their average
/// rank, so equal fitnesses contribute exactly nothing). The update is an Adam step on −ĝ.
///
/// Departures and choices: the adaptation operator is `inner.steps` gradient steps of rate α:
/// SGD with the exact support-set gradient, or vanilla policy-gradient steps on the task's own
/// episodes (the paper's ES-Grad estimates the inner gradient by ES too; the outer loop stays
/// zero-order: no derivative of U is ever taken). Each ε_j is regenerated from the keyed stream (seed, iteration, j,
/// "es-perturbation") in whichever process needs it, so perturbations never travel: a worker
/// receives pair indices and answers two fitnesses per pair.
///
/// Where the sum Σ_j w_j ε_j is formed (`es.reduce`): on the coordinator, which regenerates
/// every ε_j (O(N·d) work, d the parameter count, and nothing more on the wire), or on the
/// workers in a second round, each summing w_j ε_j over its pairs with the weights w_j sent as
/// the round's payload and answering block sums (O(N·d/W) work each, one parameter-sized sum
/// per block of pairs on the wire). Both are deterministic; they differ in the last bits, since
/// the second sums in the parameters' precision.
public enum ESMAML {
    /// The work code of a round of fitnesses (``WorkRequest/work``).
    public static let fitnessWork: UInt16 = 1
    /// The work code of a round of weighted perturbation sums (payload: the weights w_j).
    public static let perturbationSumWork: UInt16 = 2
    /// The random purpose of the perturbations.
    public static let purpose = RandomPurpose("es-perturbation")

    /// ε_j: `count` independent standard normal draws from the stream (seed, iteration,
    /// pair, ``purpose``), in the parameters' order. The same in every process.
    public static func perturbation(seed: UInt64, iteration: Int, pair: Int, count: Int) -> [Double] {
        var stream = RandomStream(seed: seed, iteration: UInt64(iteration), task: UInt32(pair), purpose: purpose)
        var values = [Double](repeating: 0, count: count)
        for i in 0..<count { values[i] = stream.normal() }
        return values
    }

    /// θ + scale·ε, with ε flat in the parameters' order.
    public static func perturbed<S: TensorScalar>(_ parameters: Parameters<Tensor<S>>, by epsilon: [Double],
                                                  scale: Double) -> Parameters<Tensor<S>> {
        var offset = 0
        return parameters.map { t in
            let n = t.count
            let step = Tensor<Double>(shape: t.shape, scalars: epsilon[offset..<(offset + n)].map { scale * $0 })
            offset += n
            return t + step.converted(to: S.self)
        }
    }

    /// Centred ranks (Salimans et al. 2017): value i becomes rank(i)/(n−1) − 0.5, ranks from 0
    /// (lowest) to n−1, tied values sharing their average rank. A single value maps to 0.
    public static func centredRanks(_ values: [Double]) -> [Double] {
        let n = values.count
        guard n > 1 else { return Array(repeating: 0, count: n) }
        let order = values.indices.sorted { values[$0] < values[$1] || (values[$0] == values[$1] && $0 < $1) }
        var ranks = [Double](repeating: 0, count: n)
        var start = 0
        while start < n {
            var end = start
            while end + 1 < n && values[order[end + 1]] == values[order[start]] { end += 1 }
            let average = Double(start + end) / 2
            for k in start...end { ranks[order[k]] = average }
            start = end + 1
        }
        return ranks.map { $0 / Double(n - 1) - 0.5 }
    }

    /// The antithetic estimate ĝ = 1/(2Nσ) Σ_j (plus_j − minus_j) ε_j, summed in pair order,
    /// with ε_j = `perturbation(j)` (`count` values each).
    public static func estimate(plus: [Double], minus: [Double], sigma: Double, count: Int,
                                perturbation: (Int) -> [Double]) -> [Double] {
        require(plus.count == minus.count && !plus.isEmpty, "ESMAML.estimate: \(plus.count) plus and \(minus.count) minus fitnesses")
        var g = [Double](repeating: 0, count: count)
        for j in plus.indices {
            let d = plus[j] - minus[j]
            if d == 0 { continue }
            let e = perturbation(j)
            for i in 0..<count { g[i] += d * e[i] }
        }
        let scale = 1 / (2 * Double(plus.count) * sigma)
        return g.map { $0 * scale }
    }

    /// w_j ε_j for each of `pairs` (w = `weights[pair]`), as block sums (``MetaGradient``) in the
    /// layout of `like`: a worker's answer to a round of ``perturbationSumWork``.
    public static func perturbationSums<S: TensorScalar>(seed: UInt64, iteration: Int, pairs: [Int], weights: [Double],
                                                         like: Parameters<Tensor<S>>) -> [Parameters<Tensor<S>>] {
        let count = like.scalarCount
        let terms = pairs.map { j -> Parameters<Tensor<S>> in
            let e = perturbation(seed: seed, iteration: iteration, pair: j, count: count)
            var offset = 0
            return like.map { t in
                defer { offset += t.count }
                return Tensor<Double>(shape: t.shape, scalars: e[offset..<(offset + t.count)].map { weights[j] * $0 }).converted(to: S.self)
            }
        }
        return MetaGradient.blockSums(terms)
    }

    /// Pair `pair` of `iteration`: the fitnesses of θ ± σε_pair on the iteration's task `pair`
    /// (``TaskFitness`` of the configured tasks' shape), as the scalars [F(θ+σε), F(θ−σε)], with
    /// the mean of the two losses and metrics.
    public static func pairResult<S: TensorScalar>(trainer: MetaTrainer<S>, iteration: Int, pair: Int, sigma: Double,
                                                   parameters: Parameters<Tensor<S>>) -> (scalars: [Double], loss: Double, metric: Double) {
        let c = trainer.configuration
        let count = parameters.values.reduce(0) { $0 + $1.count }
        let epsilon = perturbation(seed: c.seed, iteration: iteration, pair: pair, count: count)
        let task = trainer.task(iteration: iteration, index: pair)
        let fitness = ESMAMLLearner.fitness(c)
        let up = fitness.fitness(model: trainer.model, parameters: perturbed(parameters, by: epsilon, scale: sigma), task: task, inner: c.inner)
        let down = fitness.fitness(model: trainer.model, parameters: perturbed(parameters, by: epsilon, scale: -sigma), task: task, inner: c.inner)
        return ([up.fitness, down.fitness], (up.loss + down.loss) / 2, (up.metric + down.metric) / 2)
    }
}

/// One ES-MAML iteration: a round asking for the two fitnesses of every antithetic pair (N =
/// the meta-batch size pairs, population 2N); then the shaped estimate, formed here from every
/// regenerated ε_j (`es.reduce: coordinator`, O(N·d) work) or by the workers in a second round
/// whose payload is the pairs' weights (`es.reduce: workers`); then an Adam step.
public struct ESMAMLProgram<S: TensorScalar>: IterationProgram {
    public let trainer: MetaTrainer<S>
    public let state: MetaTrainer<S>.State
    public private(set) var request: WorkRequest
    /// The fitness round's losses and metrics, kept for the update after a second round.
    private var figures: (losses: [Double], metrics: [Double]) = ([], [])

    public init(trainer: MetaTrainer<S>, state: MetaTrainer<S>.State) {
        self.trainer = trainer
        self.state = state
        request = WorkRequest(work: ESMAML.fitnessWork, items: trainer.configuration.metaBatchSize, scalarsPerItem: 2)
    }

    public mutating func next(_ result: ShardResult<S>) -> IterationStep<S> {
        let c = trainer.configuration
        let scale = 1 / (2 * Double(c.metaBatchSize) * (c.perturbationScale ?? 1))
        if request.work == ESMAML.perturbationSumWork {
            let sum = MetaGradient.sum(result.blockSums)
            return update(flat: sum.values.flatMap { $0.converted(to: Double.self).scalars }.map { $0 * scale })
        }
        figures = (result.losses, result.metrics)
        // Shaped over the whole population, plus and minus interleaved in pair order.
        let shaped = ESMAML.centredRanks(result.scalars.flatMap { $0 })
        let plus = stride(from: 0, to: shaped.count, by: 2).map { shaped[$0] }
        let minus = stride(from: 1, to: shaped.count, by: 2).map { shaped[$0] }
        if c.perturbationSumOnWorkers {
            request = WorkRequest(work: ESMAML.perturbationSumWork, payload: zip(plus, minus).map { $0 - $1 }, items: c.metaBatchSize)
            return .request(request)
        }
        let count = state.parameters.scalarCount
        return update(flat: ESMAML.estimate(plus: plus, minus: minus, sigma: c.perturbationScale ?? 1, count: count) {
            ESMAML.perturbation(seed: c.seed, iteration: state.iteration, pair: $0, count: count)
        })
    }

    /// The Adam step on the estimate ĝ (flat, the parameters' order). Adam minimises: the step
    /// follows −ĝ, the ascent direction of the fitness.
    private func update(flat g: [Double]) -> IterationStep<S> {
        var offset = 0
        let descent = state.parameters.map { t -> Tensor<S> in
            defer { offset += t.count }
            return Tensor<Double>(shape: t.shape, scalars: g[offset..<(offset + t.count)].map { -$0 }).converted(to: S.self)
        }
        let (next, metrics) = trainer.apply(gradient: descent, losses: figures.losses, metrics: figures.metrics, to: state)
        return .update(next, metrics)
    }
}

/// ES-MAML as a registered learner: `meta_batch` antithetic pairs per iteration, `es.sigma` the
/// perturbation scale, the outer optimizer applied to the ES estimate.
///
/// The fitness, evaluation and initial parameters are those of the configured tasks' shape
/// (``TaskShape/fitness``). Where the protocol passes the model but no configuration
/// (``initialParameters(model:seed:as:)``, ``evaluate(model:parameters:task:inner:steps:)``),
/// the model tells the shape: a ``PolicyMLP`` is built only for environment tasks
/// (``PolicyMLPArchitecture/accepts(_:)``), every other model only for support/query tasks.
public struct ESMAMLLearner: Learner {
    public init() {}
    public var id: LearnerID { .esMAML }

    public var taskShapes: [TaskShape] { [.supportQuery, .environment] }

    /// The fitness of `configuration`'s tasks (checked by the configuration's validation).
    static func fitness(_ configuration: RunConfiguration) -> any TaskFitness {
        guard let f = configuration.family.spec.shape.fitness else {
            fatalError("es-maml: no fitness on \(configuration.family.spec.shape.rawValue) tasks (refused by validation)")
        }
        return f
    }

    /// The fitness of the tasks `model` is built for.
    static func fitness(model: any Model) -> any TaskFitness {
        model is PolicyMLP ? EnvironmentFitness() : SupervisedFitness()
    }

    public func initialParameters<S: TensorScalar>(model: any Model, seed: UInt64, as: S.Type) -> Parameters<Tensor<S>> {
        Self.fitness(model: model).initialParameters(model: model, seed: seed, as: S.self)
    }

    /// The metric after 0…`steps` adaptation steps: the query metric of MAML's inner loop, or
    /// the navigation returns of `maml-trpo`'s evaluation.
    public func evaluate<S: TensorScalar>(model: any Model, parameters: Parameters<Tensor<S>>, task: Task<S>,
                                          inner: InnerLoop, steps: Int) -> [Double] {
        Self.fitness(model: model).evaluate(model: model, parameters: parameters, task: task, inner: inner, steps: steps)
    }

    /// The exact gradient of the loss the ES estimate approximates (σ → 0, many pairs): MAML's
    /// second-order meta-gradient of the same adaptation operator. Training never calls it;
    /// the gradient checks compare the estimate against it. On environment tasks there is no
    /// exact gradient of the expected return: `maml-trpo`'s surrogate and its gradient through the
    /// inner step stand in.
    public func taskStep<S: TensorScalar>(model: any Model, parameters: Parameters<Tensor<S>>, task: Task<S>,
                                          inner: InnerLoop) -> TaskResult<S> {
        if Self.fitness(model: model) is EnvironmentFitness {
            return LearnerID.mamlTRPO.taskStep(model: model, parameters: parameters, task: task, inner: inner)
        }
        var exact = inner
        exact.firstOrder = false
        return MAML.taskStep(model: model, parameters: parameters, task: task, inner: exact)
    }

    public func iterationProgram<S: TensorScalar>(trainer: MetaTrainer<S>, state: MetaTrainer<S>.State) -> any IterationProgram<S> {
        ESMAMLProgram(trainer: trainer, state: state)
    }

    /// Work 1: each pair's two fitnesses; work 2: the block sums of w_j ε_j, w = the payload
    /// (one weight per pair of the iteration). nil for anything else, or a payload that does not
    /// cover the items.
    public func workResult<S: TensorScalar>(trainer: MetaTrainer<S>, work: UInt16, payload: [Double], iteration: Int, items: [Int],
                                            parameters: Parameters<Tensor<S>>) -> ShardResult<S>? {
        let c = trainer.configuration
        switch work {
        case ESMAML.fitnessWork:
            guard payload.isEmpty, let sigma = c.perturbationScale else { return nil }
            let pairs = items.map { ESMAML.pairResult(trainer: trainer, iteration: iteration, pair: $0, sigma: sigma, parameters: parameters) }
            return ShardResult(scalars: pairs.map(\.scalars), losses: pairs.map(\.loss), metrics: pairs.map(\.metric))
        case ESMAML.perturbationSumWork:
            guard let last = items.max(), last < payload.count, items.allSatisfy({ $0 >= 0 }) else { return nil }
            let sums = ESMAML.perturbationSums(seed: c.seed, iteration: iteration, pairs: items, weights: payload, like: parameters)
            let zeros = [Double](repeating: 0, count: items.count)
            return ShardResult(blockSums: sums, losses: zeros, metrics: zeros)
        default:
            return nil
        }
    }

    public var maxScalarsPerItem: Int { 2 }

    public func maxPayloadValues(configuration: RunConfiguration, parameterCount: Int) -> Int {
        configuration.perturbationSumOnWorkers ? configuration.metaBatchSize : 0
    }

    public func problem(with configuration: RunConfiguration) -> String? {
        return configuration.perturbationScale == nil
            ? "config key 'es.sigma': es-maml needs the perturbation scale σ (e.g. 'es: { sigma: 0.02 }')" : nil
    }

    public var presets: [RunConfiguration] {
        [RunConfiguration(
            name: "sine-es-maml",
            source: "Song et al. 2020 (ES-MAML) zero-order meta-update with a gradient-step adaptation operator, and Salimans et al. 2017: "
                + "antithetic pairs, centred ranks, Adam on the estimate; sinusoids as in Finn et al. 2017 §5.1 (K=10, 1 inner step "
                + "alpha=0.01, MLP 40-40); 64 pairs (128 task evaluations) per iteration, 13,672 iterations: the 1.75 million task "
                + "evaluations of sine-maml's 70,000 x 25; departure: Adam 0.03 and sigma 0.1 (Salimans et al.: 0.01 and 0.02), "
                + "the best of learning rates 0.01, 0.03, 0.1 and sigmas 0.02, 0.1, 0.3 after 400-600 iterations",
            algorithm: .esMAML, family: .sinusoid(support: 10, query: 10), architecture: .sineMLP(hidden: [40, 40]),
            inner: InnerLoop(steps: 1, evaluationSteps: 10, learningRate: 0.01),
            metaBatchSize: 64, outerOptimizer: .adam(learningRate: 0.03), iterations: 13_672, perturbationScale: 0.1),
         RunConfiguration(
            name: "navigation-es-maml",
            source: "Song et al. 2020 (ES-MAML) zero-order meta-update with a policy-gradient adaptation operator (1 vanilla "
                + "policy-gradient step alpha=0.1 on the task's 20 episodes, as navigation-maml-trpo), Salimans et al. 2017's "
                + "sigma 0.02 and Adam 0.01 on the centred-rank estimate; 2-D navigation of Finn et al. 2017 §5.3 (horizon 100, "
                + "policy 2-100-100-2 ReLU with learned log-std); 10 antithetic pairs per iteration: 20 fitnesses x 2 samplings "
                + "x 20 episodes = 800 episodes, navigation-maml-trpo's 20 tasks x 2 samplings x 20 episodes, for its 100 "
                + "iterations; departure: a population of 20 (the budget of maml-trpo's episodes) where the paper's is larger",
            algorithm: .esMAML, family: .navigation(), architecture: .policyMLP(hidden: [100, 100]),
            inner: InnerLoop(steps: 1, evaluationSteps: 3, learningRate: 0.1),
            metaBatchSize: 10, outerOptimizer: .adam(learningRate: 0.01), iterations: 100,
            validationInterval: 25, validationTasks: 20, evaluationTasks: 100, perturbationScale: 0.02)]
    }
}

extension LearnerID {
    public static let esMAML = LearnerID(registering: "es-maml")
}
