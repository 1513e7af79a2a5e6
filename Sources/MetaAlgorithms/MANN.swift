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
