import MetaTensor
import MetaAutodiff
import MetaNN
import MetaRandom
import MetaTasks

/// The meta-learner LSTM (Ravi & Larochelle, "Optimization as a model for few-shot
/// learning", ICLR 2017): a learned optimizer that trains the learner (the model) for T steps
/// on a task's support set, and a learned initialisation of the learner.
///
/// A two-layer LSTM applied coordinate-wise: every scalar parameter of the learner is one row
/// of a batch, and all rows share the meta-learner's weights.
/// ```
///   ∇_t, L_t          the learner's support gradient and loss at c_{t−1}   (constants)
///   x_t = [code(L_t), code(∇_t)]                       [N, 4]  (``GradientPreprocessing``)
///   h_t = LSTM(x_t, h_{t−1})                           [N, H]  layer 1, ``LSTMCell``
///   c_t = f_t ⊙ c_{t−1} + i_t ⊙ (−∇_t)                 [N, 1]  layer 2, ``MetaLearnerCell``
/// ```
/// The cell state c of the second layer IS the learner's parameters, flattened in the model's
/// parameter order; its initial value c_0, the learner's initialisation, is meta-learned. The
/// query loss of the learner at c_T is the meta-loss; its gradient flows back through the
/// unrolled updates to the meta-learner's weights and to c_0.
///
/// Gradient independence (the paper's paragraph "Gradient independence assumption"): the inputs
/// ∇_t and L_t are treated as constants. Each is computed at a detached copy of c_{t−1}, so
/// no second derivative of the learner's loss is taken and c_0 receives its meta-gradient
/// only through the f ⊙ c path and the gates (as in the reference code, which reads the
/// learner's parameters with `DirectNode.getValue` before taking their gradient).
///
/// Batch norm in the learner uses the statistics of the batch at hand during both
/// meta-training and meta-testing, as the brief asks and as the paper describes for
/// meta-testing; ``BatchNorm`` always does this (``BatchNormMode/batchStatistics``), so
/// there are no running averages to collect or reset. (The reference code differs: its
/// `metaLearner.f` switches the learner to running statistics when `evaluate` is set.)
///
/// Parameters, in one set: the model's parameters under their own names (c_0), then the
/// meta-learner's under `metalstm.`: `metalstm.lstm.{inputWeight, hiddenWeight, bias}` (layer
/// 1, H = 20 hidden units as in the reference code) and
/// `metalstm.cell.{inputGateWeight, inputGateBias, forgetGateWeight, forgetGateBias}`.
///
/// Departures from the reference code (twitter-research/meta-learning-lstm): the gates'
/// recurrent inputs i_{t−1}, f_{t−1} are the gate values σ(·), as in the paper's equations
/// for i_t and f_t, where the code feeds back the pre-activations; no meta-gradient clipping here (the
/// code clips the norm to 0.25; that belongs to the outer optimizer); one update per step on
/// the whole support set, as the paper does ("a batch consisting of the entire training set").
///
/// T, the number of updates, from the reference code (twitter-research/meta-learning-lstm,
/// `config/lstm/train-imagenet-1shot.lua`): `nEpochs[1] = 12` passes with `batchSize[1] = 5`,
/// the whole 5-way 1-shot support set, so T = 12 for 1-shot. For 5-shot the configurations
/// differ between commits: `nEpochs[5] = 5` (batches of 5 of the 25 examples) in that file,
/// `nEpochs[5] = 8` with `batchSize[5] = 25` in `train-imagenet-5shot.lua`; the paper's text
/// (whole support set per update) gives T = 5 as we recall it, not checked against the PDF.
public struct MetaLSTM: Sendable {
    /// How the gates are obtained.
    public enum Gates: Sendable, Hashable {
        /// From the meta-learner (the algorithm).
        case learned
        /// Fixed values for every coordinate and step. `fixed(inputGate: α, forgetGate: 1)` is
        /// SGD with step α, to the bit: the defining property, and a baseline.
        case fixed(inputGate: Double, forgetGate: Double)
    }

    /// The prefix of the meta-learner's parameter names.
    public static let prefix = "metalstm."

    /// Hidden units of the first layer (20 in the reference code).
    public var hidden: Int
    /// p of the input coding (10).
    public var exponent: Double
    public var gates: Gates

    public init(hidden: Int = 20, exponent: Double = GradientPreprocessing.defaultExponent, gates: Gates = .learned) {
        require(hidden > 0, "MetaLSTM: hidden must be positive, got \(hidden)")
        self.hidden = hidden; self.exponent = exponent; self.gates = gates
    }

    /// Layer 1: an ordinary LSTM over the four coded inputs.
    public var lstm: LSTMCell { LSTMCell(Self.prefix + "lstm", inputs: 4, hidden: hidden) }
    /// Layer 2: the cell whose state is the learner's parameters.
    public var cell: MetaLearnerCell { MetaLearnerCell(Self.prefix + "cell", inputs: hidden) }

    /// The model's initial parameters (c_0), then the meta-learner's. Layer 1 is drawn
    /// entirely from U(−0.01, 0.01), biases included, as the reference code initialises every
    /// meta-learner weight before setting layer 2's gate biases (see ``MetaLearnerCell``).
    public func initialParameters<S: TensorScalar>(model: any Model, seed: UInt64, as: S.Type = S.self) -> Parameters<Tensor<S>> {
        let base = model.initialParameters(seed: seed, as: S.self)
        var stream = RandomStream(seed: seed, purpose: RandomPurpose("metalstm"))
        var shapes = RandomStream(seed: 0, purpose: RandomPurpose("metalstm-shapes"))
        let layer1 = (lstm.initialParameters(using: &shapes) as [(String, Tensor<S>)]).map { name, t -> (String, Tensor<S>) in
            (name, stream.uniformTensor(t.shape, low: -0.01, high: 0.01))
        }
        let layer2: [(String, Tensor<S>)] = cell.initialParameters(using: &stream)
        return Parameters(Array(zip(base.names, base.values)) + layer1 + layer2)
    }

    /// The names of the model's own parameters (c_0) in a meta-learner LSTM parameter set.
    public static func modelNames<V>(_ parameters: Parameters<V>) -> [String] {
        parameters.names.filter { !$0.hasPrefix(prefix) }
    }

    // MARK: The recurrence

    /// The meta-learner's state between steps; every row is one coordinate of the learner.
    public struct State<S: TensorScalar> {
        /// Layer 1's hidden and cell states `[N, H]`.
        public var hidden: Variable<S>, memory: Variable<S>
        /// Layer 2's cell state: the learner's parameters, flattened `[N, 1]`.
        public var learner: Variable<S>
        /// The last gate values `[N, 1]` (zeros before the first step, as in the reference code).
        public var inputGate: Variable<S>, forgetGate: Variable<S>
    }

    /// The state before the first step, from the flattened initial parameters `c0 [N, 1]`.
    public func initialState<S: TensorScalar>(learner c0: Variable<S>) -> State<S> {
        let n = c0.shape[0]
        let zerosH = Variable(Tensor<S>(zeros: [n, hidden])), zeros1 = Variable(Tensor<S>(zeros: [n, 1]))
        return State(hidden: zerosH, memory: zerosH, learner: c0, inputGate: zeros1, forgetGate: zeros1)
    }

    /// One update of the learner from its support gradient `[N, 1]` and loss at
    /// `state.learner` (both constants).
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public func step<S: TensorScalar>(_ p: Parameters<Variable<S>>, state: State<S>, gradient: Tensor<S>, loss: S) -> State<S> {
        let n = state.learner.shape[0]
        require(gradient.shape == [n, 1], "MetaLSTM: gradient \(gradient.shape), learner [\(n), 1]")
        let g = Variable(gradient)
        switch gates {
        case let .fixed(a, b):
            let i = Variable(Tensor<S>(repeating: S(a), shape: [n, 1])), f = Variable(Tensor<S>(repeating: S(b), shape: [n, 1]))
            return State(hidden: state.hidden, memory: state.memory,
                         learner: MetaLearnerCell.update(cell: state.learner, inputGate: i, forgetGate: f, gradient: g),
                         inputGate: i, forgetGate: f)
        case .learned:
            let x = Variable(inputs(gradient: gradient, loss: loss))
            let (h, m) = lstm.step(p, input: x, hidden: state.hidden, cell: state.memory)
            let (c, i, f) = cell.step(p, hidden: h, cell: state.learner, previousInputGate: state.inputGate,
                                      previousForgetGate: state.forgetGate, gradient: g)
            return State(hidden: h, memory: m, learner: c, inputGate: i, forgetGate: f)
        }
    }

    /// Layer 1's input `[N, 4]`: per coordinate, the coded loss (shared) then the coded gradient.
    public func inputs<S: TensorScalar>(gradient: Tensor<S>, loss: S) -> Tensor<S> {
        let coded = GradientPreprocessing.code(gradient, exponent: exponent)
        let (l0, l1) = GradientPreprocessing.code(loss, exponent: S(exponent))
        let n = gradient.count
        return coded.withUnsafeBufferPointer { g in
            Tensor(shape: [n, 4]) { out, _ in
                for r in 0..<n {
                    out[4 * r] = l0; out[4 * r + 1] = l1
                    out[4 * r + 2] = g[2 * r]; out[4 * r + 3] = g[2 * r + 1]
                }
            }
        }
    }

    // MARK: Adaptation

    /// What the inner loop produced.
    public struct Adaptation<S: TensorScalar> {
        /// The learner's parameters after the last step, named like the model's.
        public var learner: Parameters<Variable<S>>
        /// The meta-learner's inputs at each step: the flattened support gradient `[N, 1]` and
        /// the support loss at c_{t−1}, both constants.
        public var gradients: [Tensor<S>], losses: [S]
        /// The meta-learner's state after the last step.
        public var state: State<S>
    }

    /// `steps` updates of the learner on the support set. `parameters` holds c_0 and the
    /// meta-learner (variables: differentiable for meta-training, constants for evaluation);
    /// `afterEachStep` sees the learner after every update.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public func adapt<S: TensorScalar>(model: any Model, parameters: Parameters<Variable<S>>, inputs: Tensor<S>,
                                       targets: Targets<S>, steps: Int,
                                       afterEachStep: ((Parameters<Variable<S>>) -> Void)? = nil) -> Adaptation<S> {
        let learnerLayout = ParameterLayout(names: Self.modelNames(parameters))
        let shapes = learnerLayout.names.map { parameters[$0].shape }
        var state = initialState(learner: Self.flatten(learnerLayout.names.map { parameters[$0] }))
        var learner = Parameters(layout: learnerLayout, values: learnerLayout.names.map { parameters[$0] })
        var gradients: [Tensor<S>] = [], losses: [S] = []
        let x = Variable(inputs)
        for _ in 0..<steps {
            // ∇_t and L_t at a detached copy of c_{t−1}: constants (gradient independence).
            let leaves = learner.values.map { Variable(differentiable: $0.value) }
            let loss = TaskLoss.loss(model.apply(Parameters(layout: learnerLayout, values: leaves), x), targets)
            let g = Self.flatten(MetaAutodiff.gradients(of: loss, withRespectTo: leaves).map(\.value))
            gradients.append(g); losses.append(loss.scalar)
            state = step(parameters, state: state, gradient: g, loss: loss.scalar)
            learner = Parameters(layout: learnerLayout, values: Self.unflatten(state.learner, shapes: shapes))
            afterEachStep?(learner)
        }
        return Adaptation(learner: learner, gradients: gradients, losses: losses, state: state)
    }

    /// One task's contribution to the meta-update: `steps` (T) updates on the support set,
    /// unrolled; the query loss and metric of the final learner; the gradient of that loss
    /// with respect to every entry of `parameters` (c_0 and the meta-learner).
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public func taskStep<S: TensorScalar>(model: any Model, parameters: Parameters<Tensor<S>>, task: Task<S>,
                                          steps: Int) -> TaskResult<S> {
        let all = parameters.map { Variable(differentiable: $0) }
        let adapted = adapt(model: model, parameters: all, inputs: task.supportInputs, targets: task.supportTargets,
                            steps: steps).learner
        return MAML.queryResult(model: model, adapted: adapted, task: task, leaves: all)
    }

    /// The learner's query outputs after 0, 1, …, `steps` updates on the support set. No graph is built.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public func queryOutputs<S: TensorScalar>(model: any Model, parameters: Parameters<Tensor<S>>, input: AdaptationInput<S>,
                                              steps: Int) -> [Tensor<S>] {
        let constants = parameters.map { Variable($0) }
        let xq = Variable(input.queryInputs)
        var outputs = [model.apply(constants, xq).value]
        _ = adapt(model: model, parameters: constants, inputs: input.supportInputs, targets: input.supportTargets,
                  steps: steps) { learner in
            outputs.append(model.apply(learner, xq).value)
        }
        return outputs
    }

    /// The query metric (MSE or accuracy) after 0, 1, …, `steps` updates: the metric of each of
    /// ``queryOutputs(model:parameters:input:steps:)``.
    public func evaluate<S: TensorScalar>(model: any Model, parameters: Parameters<Tensor<S>>, task: Task<S>,
                                          steps: Int) -> [Double] {
        queryOutputs(model: model, parameters: parameters, input: AdaptationInput(task), steps: steps)
            .map { TaskLoss.metric($0, task.queryTargets) }
    }

    // MARK: Flattening

    /// The values stacked into one column `[N, 1]`, in order.
    static func flatten<S: TensorScalar>(_ values: [Variable<S>]) -> Variable<S> {
        Variable.concatenate(values.map { $0.reshaped([$0.count, 1]) }, axis: 0)
    }

    /// Tensors stacked into one column `[N, 1]`, in order (exact copies).
    static func flatten<S: TensorScalar>(_ tensors: [Tensor<S>]) -> Tensor<S> {
        let n = tensors.reduce(0) { $0 + $1.count }
        return Tensor(shape: [n, 1]) { out, _ in
            var offset = 0
            for t in tensors {
                t.withUnsafeBufferPointer { b in for j in 0..<b.count { out[offset + j] = b[j] } }
                offset += t.count
            }
        }
    }

    /// The column `[N, 1]` cut back into tensors of `shapes`.
    static func unflatten<S: TensorScalar>(_ column: Variable<S>, shapes: [[Int]]) -> [Variable<S>] {
        var offset = 0
        return shapes.map { shape in
            let n = shape.reduce(1, *)
            defer { offset += n }
            return column.slice(axis: 0, start: offset, length: n).reshaped(shape)
        }
    }
}

/// The meta-learner LSTM as a registered learner: `inner.steps` is T, the number of learned
/// updates on the support set (and `inner.evaluation_steps` at evaluation); the model is the
/// learner it trains, any architecture with a head.
public struct MetaLSTMLearner: Learner {
    public init() {}
    public var id: LearnerID { .metaLSTM }

    /// The meta-learner with the paper's sizes (20 hidden units, p = 10, learned gates).
    public var meta: MetaLSTM { MetaLSTM() }

    public func initialParameters<S: TensorScalar>(model: any Model, seed: UInt64, as: S.Type) -> Parameters<Tensor<S>> {
        meta.initialParameters(model: model, seed: seed, as: S.self)
    }

    public func taskStep<S: TensorScalar>(model: any Model, parameters: Parameters<Tensor<S>>, task: Task<S>,
                                          inner: InnerLoop) -> TaskResult<S> {
        meta.taskStep(model: model, parameters: parameters, task: task, steps: inner.steps)
    }

    /// The learner after each of the meta-learner's updates.
    public func queryOutputs<S: TensorScalar>(model: any Model, parameters: Parameters<Tensor<S>>, input: AdaptationInput<S>,
                                              inner: InnerLoop, steps: Int) -> [Tensor<S>] {
        meta.queryOutputs(model: model, parameters: parameters, input: input, steps: steps)
    }

    public func problem(with c: RunConfiguration) -> String? {
        if let p = innerStepsProblem(c) { return p }
        if c.architecture.spec.headClasses == nil, c.family.spec.classes != nil {
            return "config key 'model.architecture': metalstm trains a classifier; \(c.architecture.name) has no head"
        }
        return nil
    }

    public var presets: [RunConfiguration] {
        [RunConfiguration(
            name: "omniglot-5w1s-metalstm",
            source: "Ravi & Larochelle 2017 (meta-learner LSTM): T = 12 learned updates on the whole 5-way 1-shot support set "
                + "(reference code, 1-shot), 15 query examples per class, one episode per update, Adam 0.001; the learner is "
                + "the 4-block max-pool CNN with 32 filters and batch statistics; departures: Omniglot (the paper reports "
                + "mini-ImageNet only), no meta-gradient norm clipping, 60,000 iterations",
            algorithm: .metaLSTM, family: .omniglot(ways: 5, shots: 1, queries: 15),
            architecture: .maxPoolCNN(filters: 32, ways: 5), inner: InnerLoop(steps: 12, evaluationSteps: 12, learningRate: 0),
            metaBatchSize: 1, outerOptimizer: .adam(learningRate: 0.001), iterations: 60_000, validationInterval: 500)]
    }
}

extension LearnerID {
    public static let metaLSTM = LearnerID(registering: "metalstm")
}
