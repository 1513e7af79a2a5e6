import MetaTensor
import MetaAutodiff
import MetaNN
import MetaOptim
import MetaRandom
import MetaTasks

/// The whole-class pretraining baseline of Chen, Liu, Kira, Wang & Huang, ICLR 2019 ("A Closer
/// Look at Few-shot Classification", the "Baseline"; reference code wyharveychen/CloserLookFewShot,
/// `BaselineTrain` and `BaselineFinetune`).
///
/// Training: the network with one softmax head over every training class (``OmniglotClassesFamily``:
/// each training character in each rotation is a class) learns by cross-entropy on mini-batches
/// of labelled images. A task of this learner is one such mini-batch, its support set; the
/// per-task step is the gradient of the batch's mean cross-entropy at θ (no inner loop), and the
/// outer optimizer (Adam 0.001, as the reference) applies the meta-batch's mean.
///
/// Evaluation: for each few-shot test task, the pretrained head is dropped and the encoder
/// frozen; a fresh linear head (``Model/headParameterNames``, sized for the task's ways) is fit
/// on the support set's features, then scores the queries (``adapted(model:parameters:input:settings:)``).
/// The fit is the reference's: SGD at 0.01 with momentum 0.9, dampening 0.9 and weight decay
/// 0.001, 100 epochs over the support set in shuffled mini-batches of 4 (``HeadFit``), the head
/// initialised as PyTorch's `nn.Linear` (weights and biases uniform in ±1/√features).
/// Departures: the shuffles and the head's initial values come from keyed streams, keyed by the
/// task's content (``ABML/sampleKey(_:)``), so every process fits the same head; features are
/// computed with the network's batch norm as configured (batch statistics of the support set and
/// of the query set, each as one batch, by default; the reference uses running statistics at test).
public enum Baseline {
    /// The reference code's fine-tuning of the fresh head (`BaselineFinetune.set_forward_adaptation`).
    public struct HeadFit: Sendable, Equatable {
        public var learningRate = 0.01
        public var momentum = 0.9
        public var dampening = 0.9
        public var weightDecay = 0.001
        /// Passes over the support set.
        public var epochs = 100
        /// Support examples per SGD step (the last batch of an epoch holds the rest).
        public var batchSize = 4

        public init() {}

        /// Chen et al.'s settings.
        public static let reference = HeadFit()
    }

    /// The purpose of the stream that draws the fresh head's initial values.
    public static let headPurpose = RandomPurpose("baseline-head")
    /// The purpose of the streams that shuffle the support set, one per epoch.
    public static let shufflePurpose = RandomPurpose("baseline-head-batches")

    /// The pretraining step: the mean cross-entropy of the model's logits on the task's support
    /// set (a mini-batch with global class labels), its gradient at θ, and the batch's accuracy.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public static func taskStep<S: TensorScalar>(model: any Model, parameters: Parameters<Tensor<S>>, task: Task<S>) -> TaskResult<S> {
        let theta = parameters.map { Variable(differentiable: $0) }
        let logits = model.apply(theta, Variable(task.supportInputs))
        let loss = TaskLoss.loss(logits, task.supportTargets)
        let grads = gradients(of: loss, withRespectTo: theta.values)
        return TaskResult(loss: Double(loss.scalar), metric: TaskLoss.metric(logits.value, task.supportTargets),
                          metaGradient: Parameters(layout: parameters.layout, values: grads.map { $0.value }))
    }

    /// The epochs' mini-batches of indices into `0..<count`, as the reference's loop: each epoch a
    /// fresh permutation (from the stream keyed by `key`, iteration = epoch), cut into consecutive
    /// batches of `size`, the last one holding what remains.
    public static func epochBatches(count: Int, size: Int, epochs: Int, key: UInt64) -> [[Int]] {
        require(count > 0 && size > 0, "Baseline head batches: \(count) examples, batches of \(size)")
        return (0..<epochs).flatMap { epoch -> [[Int]] in
            var stream = RandomStream(seed: key, iteration: UInt64(epoch), purpose: shufflePurpose)
            var order = Array(0..<count)
            stream.shuffle(&order)
            return stride(from: 0, to: count, by: size).map { Array(order[$0..<min($0 + size, count)]) }
        }
    }

    /// A linear head `features → ways` fit by ``HeadFit`` on `features` (`[n, d]`, constants) and
    /// `labels`, from initial values drawn from the stream keyed by `key`: the weight `[ways, d]`
    /// and bias `[ways]`, named as ``Dense`` names them (`head.weight`, `head.bias`).
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public static func fitHead<S: TensorScalar>(features: Tensor<S>, labels: [Int], ways: Int, key: UInt64,
                                                settings: HeadFit = .reference) -> Parameters<Tensor<S>> {
        require(features.rank == 2 && features.shape[0] == labels.count, "Baseline head: \(features.shape) features, \(labels.count) labels")
        let d = features.shape[1]
        let bound = 1 / Double(d).squareRoot()
        let layer = Dense("head", inputs: d, outputs: ways, weightInitializer: .uniform(low: -bound, high: bound),
                          biasInitializer: .uniform(low: -bound, high: bound))
        var stream = RandomStream(seed: key, purpose: headPurpose)
        var head = Parameters<Tensor<S>>(layer.initialParameters(using: &stream))
        let sgd = SGD<S>(learningRate: S(settings.learningRate), momentum: S(settings.momentum),
                         dampening: S(settings.dampening), weightDecay: S(settings.weightDecay))
        var state = sgd.initialState(for: head)
        let rows = (0..<labels.count).map { features.slice(axis: 0, start: $0, length: 1) }
        for batch in epochBatches(count: labels.count, size: settings.batchSize, epochs: settings.epochs, key: key) {
            let x = Variable(Tensor.concatenate(batch.map { rows[$0] }, axis: 0))
            let theta = head.map { Variable(differentiable: $0) }
            let loss = Losses.crossEntropy(logits: layer.apply(theta, x), labels: batch.map { labels[$0] })
            let gradient = Parameters(layout: head.layout, values: gradients(of: loss, withRespectTo: theta.values).map(\.value))
            (head, state) = sgd.update(head, gradients: gradient, state: state)
        }
        return head
    }

    /// The parameters a test task is scored with: `parameters` with the model's head
    /// (``Model/headParameterNames``) replaced by a fresh head fit on the support set's features
    /// (``fitHead(features:labels:ways:key:settings:)``, keyed by the task's content); every
    /// other entry is `parameters`' own, bit for bit (the encoder is frozen).
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public static func adapted<S: TensorScalar>(model: any Model, parameters: Parameters<Tensor<S>>, input: AdaptationInput<S>,
                                                settings: HeadFit = .reference) -> Parameters<Tensor<S>> {
        guard case let .classification(labels) = input.supportTargets else { fatalError("the baseline needs a classification task") }
        let names = model.headParameterNames
        require(names.count == 2, "the baseline fits a linear head: the model names \(names.count) head parameters")
        let features = model.features(parameters.map { Variable($0) }, Variable(input.supportInputs)).value
        let head = fitHead(features: features, labels: labels, ways: (labels.max() ?? 0) + 1, key: ABML.sampleKey(input),
                           settings: settings)
        var result = parameters
        result[names[0]] = head["head.weight"]
        result[names[1]] = head["head.bias"]
        return result
    }
}

/// The whole-class pretraining baseline as a registered learner (``Baseline``).
public struct BaselineLearner: Learner {
    public init() {}
    public var id: LearnerID { .baseline }
    /// Pretrains on class batches (`omniglot-classes`) or on support/query tasks, and is
    /// evaluated on support/query tasks.
    public var taskShapes: [TaskShape] { [.classBatch, .supportQuery] }

    public func taskStep<S: TensorScalar>(model: any Model, parameters: Parameters<Tensor<S>>, task: Task<S>,
                                          inner: InnerLoop) -> TaskResult<S> {
        Baseline.taskStep(model: model, parameters: parameters, task: task)
    }

    /// The queries' logits under the fresh head fit on the support set (one entry; no steps).
    public func queryOutputs<S: TensorScalar>(model: any Model, parameters: Parameters<Tensor<S>>, input: AdaptationInput<S>,
                                              inner: InnerLoop, steps: Int) -> [Tensor<S>] {
        let adapted = Baseline.adapted(model: model, parameters: parameters, input: input)
        return [model.predict(adapted.map { Variable($0) }, Variable(input.queryInputs)).value]
    }

    public func problem(with configuration: RunConfiguration) -> String? {
        if configuration.family.spec.classes == nil { return "config key 'algorithm': baseline needs classification tasks" }
        if configuration.architecture.spec.headClasses == nil {
            return "config key 'model.architecture': baseline needs a network with a linear classification head"
        }
        return nil
    }

    /// The evaluation head is fresh, sized for each test task's ways.
    public var usesModelHead: Bool { false }

    public var adaptsBySteps: Bool { false }

    public var presets: [RunConfiguration] {
        func preset(ways: Int) -> RunConfiguration {
            RunConfiguration(
                name: "omniglot-\(ways)w1s-baseline",
                source: "Chen et al. 2019 (A Closer Look at Few-shot Classification), the Baseline: one softmax head over every "
                    + "training class (the 1,100 training characters of omniglot-split-v1 × 4 rotations = 4,400 classes; the "
                    + "reference's Vinyals split has 4,112), trained by cross-entropy on mini-batches of 16 images with Adam 0.001 "
                    + "for 5 epochs of the training images (27,500 iterations of 16 of the 88,000), as the reference's Omniglot "
                    + "settings; evaluated on the \(ways)-way 1-shot test tasks of omniglot-\(ways)w1s-maml (same tasks and seed) by a "
                    + "fresh linear head on the frozen encoder (SGD 0.01, momentum 0.9, dampening 0.9, weight decay 0.001, 100 "
                    + "epochs in mini-batches of 4); departures: the CNN is this project's Conv-4 with strided convolutions and the "
                    + "spatial mean (the reference's Conv4S max-pools), with batch norm on batch statistics in training and at "
                    + "evaluation (support and query each as one batch; the reference evaluates with running statistics); images "
                    + "are drawn independently from keyed streams, not in shuffled epochs; no validation-based model selection "
                    + "(the reference keeps the last epoch's model for the baseline too)",
                algorithm: .baseline, family: .omniglotClasses(batch: 16),
                evaluationFamily: .omniglot(ways: ways, shots: 1, queries: 1),
                architecture: .omniglotCNN(ways: OmniglotClassesFamily(batch: 16).classes!),
                inner: InnerLoop(steps: 0, evaluationSteps: 0, learningRate: 0),
                metaBatchSize: 1, outerOptimizer: .adam(learningRate: 0.001), iterations: 27_500, validationInterval: 2_500)
        }
        return [preset(ways: 5), preset(ways: 20)]
    }
}

extension LearnerID {
    public static let baseline = LearnerID(registering: "baseline")
}
