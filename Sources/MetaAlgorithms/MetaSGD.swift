import MetaTensor
import MetaAutodiff
import MetaNN
import MetaRandom
import MetaTasks

/// Meta-SGD (Li, Zhou, Chen & Li 2017): the initialisation θ and a per-parameter inner
/// learning rate α (same shape as θ, named `lr.<parameter>`) are learned together.
///
/// Inner step: θ′ = θ − α ⊙ ∇L_support(θ); the meta-gradient is ∇_(θ, α) L_query(θ′). In the
/// first-order form the inner gradient is a constant, but θ′ still depends on α, so α keeps
/// its gradient −∇L_support ⊙ ∇L_query(θ′).
public enum MetaSGD {
    /// The rate entries' name prefix.
    public static let ratePrefix = "lr."

    /// The model's initial parameters followed by the initial rates, drawn uniformly from
    /// `rateRange` (the paper draws them from [0.005, 0.1]).
    public static func initialParameters<S: TensorScalar>(model: any Model, seed: UInt64, rateRange: ClosedRange<Double>,
                                                          as: S.Type = S.self) -> Parameters<Tensor<S>> {
        let base = model.initialParameters(seed: seed, as: S.self)
        var stream = RandomStream(seed: seed, purpose: RandomPurpose("meta-sgd-rates"))
        let rates = zip(base.names, base.values).map { name, value -> (String, Tensor<S>) in
            (ratePrefix + name, stream.uniformTensor(value.shape, low: rateRange.lowerBound, high: rateRange.upperBound))
        }
        return Parameters(Array(zip(base.names, base.values)) + rates)
    }

    /// The rate entries of a Meta-SGD parameter set, named `lr.<parameter>`.
    public static func rates<V>(_ parameters: Parameters<V>) -> Parameters<V> {
        Parameters(zip(parameters.names, parameters.values).filter { $0.0.hasPrefix(ratePrefix) })
    }

    /// The names of the model's own parameters in a Meta-SGD parameter set.
    public static func modelNames<V>(_ parameters: Parameters<V>) -> [String] {
        parameters.names.filter { !$0.hasPrefix(ratePrefix) }
    }

    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public static func taskStep<S: TensorScalar>(model: any Model, parameters: Parameters<Tensor<S>>, task: Task<S>,
                                                 inner: InnerLoop) -> TaskResult<S> {
        let all = parameters.map { Variable(differentiable: $0) }
        let adapted = InnerUpdate.adapt(model: model, parameters: all, inputs: task.supportInputs,
                                        targets: task.supportTargets, steps: inner.steps, learningRate: 0,
                                        createGraph: !inner.firstOrder, adapting: modelNames(parameters), rates: rates(all))
        return MAML.queryResult(model: model, adapted: adapted, task: task, leaves: all)
    }
}

/// Meta-SGD as a registered learner: the model's parameters and a learned rate for each.
public struct MetaSGDLearner: Learner {
    public init() {}
    public var id: LearnerID { .metaSGD }

    public func initialParameters<S: TensorScalar>(model: any Model, seed: UInt64, as: S.Type) -> Parameters<Tensor<S>> {
        MetaSGD.initialParameters(model: model, seed: seed, rateRange: 0.005...0.1, as: S.self)
    }

    public func taskStep<S: TensorScalar>(model: any Model, parameters: Parameters<Tensor<S>>, task: Task<S>,
                                          inner: InnerLoop) -> TaskResult<S> {
        MetaSGD.taskStep(model: model, parameters: parameters, task: task, inner: inner)
    }

    /// The inner loop with the learned per-parameter rates.
    public func queryOutputs<S: TensorScalar>(model: any Model, parameters: Parameters<Tensor<S>>, input: AdaptationInput<S>,
                                              inner: InnerLoop, steps: Int) -> [Tensor<S>] {
        MAML.queryOutputs(model: model, parameters: parameters, input: input, steps: steps, learningRate: 0,
                          adapting: MetaSGD.modelNames(parameters), rates: MetaSGD.rates(parameters))
    }

    public func problem(with configuration: RunConfiguration) -> String? { innerStepsProblem(configuration) }

    public var presets: [RunConfiguration] {
        [RunConfiguration.omniglot5w1s(.metaSGD, name: "omniglot-5w1s-metasgd",
                                       source: "Li et al. 2017 (Meta-SGD): the MAML network and task setup, rates drawn from [0.005, 0.1], "
                                           + "one inner step, Adam 0.001, meta-batch 32, 60,000 iterations; the rates are learned "
                                           + "for one step, so the one-step row of the evaluation (which also reports 2 and 3 steps) is the "
                                           + "paper's figure")]
    }
}

extension LearnerID {
    public static let metaSGD = LearnerID(registering: "metasgd")
}
