import MetaTensor
import MetaAutodiff
import MetaNN
import MetaTasks
import MetaRL

/// MAML for reinforcement learning with a TRPO outer step (Finn et al. 2017 §3.2, §5.3) on
/// ``NavigationFamily`` tasks, and the two baselines of the paper's Figure 5 as variants:
///
/// - `maml-trpo`: one vanilla policy-gradient inner step (α = `inner.learning_rate`, 0.1 in the
///   paper) on `tasks.episodes` episodes, then TRPO on the post-adaptation episodes with the
///   Fisher products taken through the inner step (``MAMLTRPO``, ``TRPOSettings/paper``);
///   `inner.first_order` drops the inner step's second-order terms. With `inner.steps: 0` it is
///   TRPO on all tasks jointly: the paper's "pretrained" baseline.
/// - `random-policy`: no outer update at all; the initial (random) policy, evaluated with the
///   same adaptation: the paper's "random initialization" baseline.
///
/// An iteration is the rounds of ``MAMLTRPOProgram``; the configuration's `outer` optimizer is
/// not used. The evaluation reports the mean return of `tasks.episodes` episodes after
/// 0…`inner.evaluation_steps` policy-gradient steps (``PolicyAdaptation``).
public struct MAMLTRPOLearner: Learner {
    public let id: LearnerID
    /// Whether the outer step updates the parameters (false for the random-policy baseline).
    public let updates: Bool

    public init(id: LearnerID = .mamlTRPO, updates: Bool = true) { self.id = id; self.updates = updates }

    /// The discount of returns, the baseline's targets and the advantages (rllab's default).
    public static let discount = 0.99

    public func initialParameters<S: TensorScalar>(model: any Model, seed: UInt64, as: S.Type) -> Parameters<Tensor<S>> {
        GaussianPolicy.initialParameters(model: model, actions: 2, seed: seed, as: S.self)
    }

    /// The settings of a task (its horizon and episodes) under `inner`, with `steps` inner steps.
    static func settings(_ inner: InnerLoop, task: NavigationTasks.Decoded, steps: Int) -> RLSettings {
        RLSettings(trajectories: task.episodes, horizon: task.horizon, discount: discount, innerLearningRate: inner.learningRate,
                   innerSteps: steps, firstOrder: inner.firstOrder)
    }

    public func iterationProgram<S: TensorScalar>(trainer: MetaTrainer<S>, state: MetaTrainer<S>.State) -> any IterationProgram<S> {
        MAMLTRPOProgram(trainer: trainer, state: state, updates: updates)
    }

    /// Item i of a round of ``MAMLTRPOProgram``: task i of the iteration (episodes from the
    /// stream (seed, iteration, i)) answering the round's ``TRPORequest`` as scalars: ∇Lᵢ (with
    /// Lᵢ and the return after adaptation as the item's loss and metric), ∇²KLᵢ·payload, or
    /// (Lᵢ(θ′), KLᵢ(θ′)) at θ′ = payload. A non-finite candidate loss or KL is answered as
    /// the largest finite `Double`: the line search rejects it just as it rejects a non-finite
    /// one, and results stay finite on the wire. nil for another work code or a payload of
    /// the wrong length. The tasks are kept between rounds (``MetaPolicyTaskCache``).
    public func workResult<S: TensorScalar>(trainer: MetaTrainer<S>, work: UInt16, payload: [Double], iteration: Int, items: [Int],
                                            parameters: Parameters<Tensor<S>>) -> ShardResult<S>? {
        let d = parameters.scalarCount
        let request: TRPORequest
        switch work {
        case MAMLTRPOProgram<S>.surrogateWork where payload.isEmpty: request = .surrogate
        case MAMLTRPOProgram<S>.fisherProductWork where payload.count == d: request = .fisherProduct(payload)
        case MAMLTRPOProgram<S>.candidateWork where payload.count == d: request = .candidate(payload)
        default: return nil
        }
        let c = trainer.configuration
        let answers = items.map { item -> (scalars: [Double], loss: Double, metric: Double) in
            let goal = NavigationTasks.decode(trainer.task(iteration: iteration, index: item))
            let settings = Self.settings(c.inner, task: goal, steps: c.inner.steps)
            let reply = MetaPolicyTaskCache.shared.withTask(
                seed: c.seed, iteration: UInt64(iteration), task: UInt32(item), goal: goal.goal, settings: settings, parameters: parameters,
                make: {
                    MetaPolicyTask(model: trainer.model, parameters: parameters,
                                   environment: NavigationEnvironment(goal: goal.goal, horizon: settings.horizon), settings: settings,
                                   seed: c.seed, iteration: UInt64(iteration), task: UInt32(item))
                }) { $0.answer(request) }
            switch reply {
            case let .surrogate(loss, gradient, metric): return (gradient, loss, metric)
            case let .fisherProduct(v): return (v, 0, 0)
            case let .candidate(loss, kl):
                let finite = { (x: Double) in x.isFinite ? x : Double.greatestFiniteMagnitude }
                return ([finite(loss), finite(kl)], 0, 0)
            }
        }
        return ShardResult(scalars: answers.map(\.scalars), losses: answers.map(\.loss), metrics: answers.map(\.metric))
    }

    /// Fisher-product and candidate rounds carry a parameter vector.
    public func maxPayloadValues(configuration: RunConfiguration, parameterCount: Int) -> Int { parameterCount }

    /// Surrogate and Fisher-product rounds answer a parameter vector per task.
    public func maxScalarsPerItem(configuration: RunConfiguration, parameterCount: Int) -> Int { parameterCount }

    /// One task's loss (the outer surrogate, 0 at θ up to the advantages' mean), metric (the
    /// mean return after adaptation) and the gradient of the surrogate through the inner step:
    /// what a gradient-reducing runtime would average. Training uses ``MAMLTRPOProgram``.
    public func taskStep<S: TensorScalar>(model: any Model, parameters: Parameters<Tensor<S>>, task: Task<S>,
                                          inner: InnerLoop) -> TaskResult<S> {
        let d = NavigationTasks.decode(task)
        let t = MetaPolicyTask(model: model, parameters: parameters, environment: NavigationEnvironment(goal: d.goal, horizon: d.horizon),
                               settings: Self.settings(inner, task: d, steps: inner.steps), seed: d.key, iteration: 0, task: 0)
        guard case let .surrogate(loss, gradient, metric) = t.answer(.surrogate) else { fatalError("a surrogate request answers a surrogate") }
        return TaskResult(loss: loss, metric: metric, metaGradient: FlatParameters.unflatten(gradient, like: parameters))
    }

    /// The mean return after 0…`steps` policy-gradient steps on the task's own episodes.
    public func evaluate<S: TensorScalar>(model: any Model, parameters: Parameters<Tensor<S>>, task: Task<S>,
                                          inner: InnerLoop, steps: Int) -> [Double] {
        let d = NavigationTasks.decode(task)
        return PolicyAdaptation.returns(model: model, parameters: parameters, environment: NavigationEnvironment(goal: d.goal, horizon: d.horizon),
                                        settings: Self.settings(inner, task: d, steps: steps), steps: steps, seed: d.key, iteration: 0, task: 0)
    }

    public func problem(with c: RunConfiguration) -> String? {
        if c.inner.steps > 1 { return "config key 'inner.steps': \(id) meta-trains with 0 or 1 policy-gradient steps, got \(c.inner.steps)" }
        if c.family.as(NavigationFamily.self) == nil { return "config key 'tasks.family': \(id) needs navigation tasks" }
        return nil
    }

    public var usesModelHead: Bool { false }
    public var taskShape: TaskShape { .environment }
    public var evaluationAxis: String { "policy-gradient step" }

    public var presets: [RunConfiguration] {
        func preset(_ name: String, steps: Int, source: String, iterations: Int) -> RunConfiguration {
            RunConfiguration(
                name: name, source: source, algorithm: id, family: .navigation(), architecture: .policyMLP(hidden: [100, 100]),
                inner: InnerLoop(steps: steps, evaluationSteps: 3, learningRate: 0.1),
                metaBatchSize: 20, outerOptimizer: .adam(learningRate: 0.001), iterations: iterations,
                validationInterval: 25, validationTasks: 20, evaluationTasks: 100)
        }
        let common = "2-D navigation, goals U[-0.5, 0.5]², horizon 100, 20 episodes per task, policy 2-100-100-2 ReLU with learned log-std, "
            + "linear feature baseline, γ 0.99; evaluation: 100 held-out goals after 0-3 policy-gradient steps α=0.1"
        if !updates {
            return [preset("navigation-random", steps: 0, source: "Finn et al. 2017 §5.3 Figure 5 baseline 'random initialization': "
                           + "the initial policy (no outer update), " + common, iterations: 1)]
        }
        return [preset("navigation-maml-trpo", steps: 1,
                       source: "Finn et al. 2017 §5.3 and cbfinn/maml_rl: MAML with 1 vanilla policy-gradient step α=0.1, "
                           + "TRPO outer step (KL 0.01, 10 CG iterations, damping 1e-5, backtracking 0.8 × 15), meta-batch 20, "
                           + "100 iterations (reference code's n_itr); " + common, iterations: 100),
                preset("navigation-pretrained-trpo", steps: 0,
                       source: "Finn et al. 2017 §5.3 Figure 5 baseline 'pretrained': TRPO on all tasks jointly (no inner step), "
                           + "meta-batch 20, 100 iterations; " + common, iterations: 100)]
    }
}

extension LearnerID {
    public static let mamlTRPO = LearnerID(registering: "maml-trpo")
    public static let randomPolicy = LearnerID(registering: "random-policy")
}
