import MetaTensor
import MetaAutodiff
import MetaNN
import MetaTasks

/// ANIL, "almost no inner loop" (Raghu, Raghu, Bengio & Vinyals 2020): MAML whose inner
/// loop adapts only the head; the body is shared as is, and the meta-gradient still reaches
/// every parameter (the body through the features the adapted head reads).
public enum ANIL {
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public static func taskStep<S: TensorScalar>(model: any Model, parameters: Parameters<Tensor<S>>, task: Task<S>,
                                                 inner: InnerLoop) -> TaskResult<S> {
        let theta = parameters.map { Variable(differentiable: $0) }
        let adapted = InnerUpdate.adapt(model: model, parameters: theta, inputs: task.supportInputs,
                                        targets: task.supportTargets, steps: inner.steps,
                                        learningRate: S(inner.learningRate), createGraph: !inner.firstOrder,
                                        adapting: model.headParameterNames)
        return MAML.queryResult(model: model, adapted: adapted, task: task, leaves: theta)
    }
}

/// ANIL as a registered learner: the inner loop adapts the head only.
public struct ANILLearner: Learner {
    public init() {}
    public var id: LearnerID { .anil }

    public func taskStep<S: TensorScalar>(model: any Model, parameters: Parameters<Tensor<S>>, task: Task<S>,
                                          inner: InnerLoop) -> TaskResult<S> {
        ANIL.taskStep(model: model, parameters: parameters, task: task, inner: inner)
    }

    /// The inner loop on the head only.
    public func queryOutputs<S: TensorScalar>(model: any Model, parameters: Parameters<Tensor<S>>, input: AdaptationInput<S>,
                                              inner: InnerLoop, steps: Int) -> [Tensor<S>] {
        MAML.queryOutputs(model: model, parameters: parameters, input: input, steps: steps,
                          learningRate: inner.learningRate, adapting: model.headParameterNames)
    }

    public func problem(with configuration: RunConfiguration) -> String? { innerStepsProblem(configuration) }

    public var presets: [RunConfiguration] {
        [RunConfiguration.omniglot5w1s(.anil, name: "omniglot-5w1s-anil",
                                       source: "Raghu et al. 2020 (ANIL): MAML's setup (α=0.4, 1 step, 3 at evaluation, meta-batch 32, Adam 0.001) "
                                           + "with the inner loop on the head only"),
         RunConfiguration.omniglotMAMLSetup(.anil, ways: 20, shots: 1, name: "omniglot-20w1s-anil",
                                            source: "Raghu et al. 2020 (ANIL) Omniglot 20-way 1-shot: MAML's 20-way setup (meta-batch 16, "
                                                + "5 inner steps α=0.1, 10 at evaluation, Adam 0.001, 60,000 iterations) with the inner "
                                                + "loop on the head only"),
         RunConfiguration.omniglotMAMLSetup(.anil, ways: 20, shots: 5, name: "omniglot-20w5s-anil",
                                            source: "Raghu et al. 2020 (ANIL) Omniglot 20-way 5-shot: as omniglot-20w1s-anil with five "
                                                + "shots and five queries per class")]
    }
}

extension LearnerID {
    public static let anil = LearnerID(registering: "anil")
}
