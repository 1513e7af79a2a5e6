import MetaTensor
import MetaAutodiff
import MetaNN
import MetaTasks

/// Memory-augmented neural networks (Santoro, Bartunov, Botvinick, Wierstra & Lillicrap,
/// ICML 2016) and their LSTM baseline, trained on whole sequence episodes: the model reads
/// an episode (``SequenceEpisode``) step by step and predicts each label before it is shown.
/// There is no inner loop; learning to learn happens in the recurrent state (and, for
/// ``MANNModel``, the memory), and the meta-gradient is backpropagation through time of the
/// episode's loss.
///
/// Works with any `Model` whose `apply` maps an episode `[T, inputs]` to logits
/// `[T, classes]`: ``MANNModel`` and the baseline ``LSTMSequenceModel``.
///
/// The loss is the cross-entropy at every step, averaged over the T steps (the paper sums
/// them; the mean only rescales the gradient by 1/T, which Adam and RMSProp undo, and keeps
/// one scale across episode lengths).
public enum MANN {
    /// The logits `[T, classes]` of one episode.
    public static func logits<S: TensorScalar>(model: any Model, parameters: Parameters<Variable<S>>,
                                               episode: SequenceEpisode<S>) -> Variable<S> {
        model.apply(parameters, Variable(episode.inputs))
    }

    /// Loss (mean per-step cross-entropy), metric (accuracy over all steps) and the gradient
    /// with respect to every parameter, by backpropagation through the unrolled episode.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public static func taskStep<S: TensorScalar>(model: any Model, parameters: Parameters<Tensor<S>>,
                                                 episode: SequenceEpisode<S>) -> TaskResult<S> {
        let theta = parameters.map { Variable(differentiable: $0) }
        let logits = logits(model: model, parameters: theta, episode: episode)
        let loss = Losses.crossEntropy(logits: logits, labels: episode.targets)
        let grads = gradients(of: loss, withRespectTo: theta.values)
        return TaskResult(loss: Double(loss.scalar), metric: Losses.accuracy(logits: logits.value, labels: episode.targets),
                          metaGradient: Parameters(layout: parameters.layout, values: grads.map(\.value)))
    }

    /// Whether each step's prediction was right, counted by presentation index.
    public static func evaluate<S: TensorScalar>(model: any Model, parameters: Parameters<Tensor<S>>,
                                                 episode: SequenceEpisode<S>) -> PresentationAccuracy {
        let logits = logits(model: model, parameters: parameters.map { Variable($0) }, episode: episode).value
        let (indices, _) = logits.argmax(alongAxis: 1)
        var result = PresentationAccuracy()
        for t in 0..<episode.steps {
            let predicted = Int(indices[t]) - t * episode.classes
            result.record(presentation: episode.presentations[t], correct: predicted == episode.targets[t])
        }
        return result
    }
}

/// Memory-augmented networks (and their LSTM baseline) as a registered learner: sequence
/// tasks (``TaskShape/sequence``), no inner loop; the evaluation reports the accuracy at each
/// presentation of a class (entry k: the (k+1)-th presentation), as the paper's Table 1.
public struct MANNLearner: Learner {
    public init() {}
    public var id: LearnerID { .mann }

    static func episode<S: TensorScalar>(_ task: Task<S>, model: any Model) -> SequenceEpisode<S> {
        guard let m = model as? any SequenceModel else {
            fatalError("mann needs a sequence model (mann or lstm architecture; checked by problem(with:))")
        }
        return SequenceEpisode(task: task, classes: m.classes)
    }

    public func taskStep<S: TensorScalar>(model: any Model, parameters: Parameters<Tensor<S>>, task: Task<S>,
                                          inner: InnerLoop) -> TaskResult<S> {
        MANN.taskStep(model: model, parameters: parameters, episode: Self.episode(task, model: model))
    }

    public func evaluate<S: TensorScalar>(model: any Model, parameters: Parameters<Tensor<S>>, task: Task<S>,
                                          inner: InnerLoop, steps: Int) -> [Double] {
        let episode = Self.episode(task, model: model)
        let accuracy = MANN.evaluate(model: model, parameters: parameters, episode: episode)
        let last = episode.presentations.max() ?? 0
        return (1...max(last, 1)).map { accuracy.accuracy(atPresentation: $0) ?? .nan }
    }

    /// Nil: an episode's predictions are one per step of a sequence, not one per query.
    public func problem(with c: RunConfiguration) -> String? {
        if !(c.model is any SequenceModel) {
            return "config key 'model.architecture': mann needs a sequence model (mann or lstm), got \(c.architecture.name)"
        }
        return nil
    }

    public var taskShape: TaskShape { .sequence }
    public var evaluationAxis: String { "presentation" }

    public var presets: [RunConfiguration] {
        func preset(ways: Int, architecture: String) -> RunConfiguration {
            let family = OmniglotSequencesFamily(ways: ways, shots: 10, size: 20)
            let inputs = family.stepWidth ?? 0
            return RunConfiguration(
                name: "omniglot-\(ways)class-\(architecture)",
                source: "Santoro et al. 2016 (MANN) §4.1: episodes of \(ways) Omniglot classes, 10 instances each in random order, "
                    + "labels shuffled per episode, 20×20 images, one-hot labels, the loss at every step; "
                    + (architecture == "mann" ? "LSTM controller of 200 units, 128 memory slots × 40, four read heads, LRU access"
                                              : "the plain LSTM baseline (200 units)")
                    + "; batches of 16 episodes, 100,000 episodes (6,250 updates); departure: Adam 0.001 (the paper: RMSProp)",
                algorithm: .mann, family: RunConfiguration.Family(family),
                architecture: architecture == "mann" ? .mann(inputs: inputs, classes: ways) : .lstm(inputs: inputs, classes: ways),
                inner: InnerLoop(steps: 0, evaluationSteps: 0, learningRate: 0),
                metaBatchSize: 16, outerOptimizer: .adam(learningRate: 0.001), iterations: 6_250, validationInterval: 250)
        }
        return [preset(ways: 5, architecture: "mann"), preset(ways: 5, architecture: "lstm"),
                preset(ways: 15, architecture: "mann"), preset(ways: 15, architecture: "lstm")]
    }
}

extension LearnerID {
    public static let mann = LearnerID(registering: "mann")
}
