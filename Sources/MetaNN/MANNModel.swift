import MetaTensor
import MetaAutodiff

/// The memory-augmented neural network of Santoro et al. (ICML 2016): an LSTM controller
/// reading from and writing to an ``LRUMemory``, unrolled over a whole episode.
///
/// At step t, with input x_t (the image and the previous step's one-hot label, see
/// `SequenceEpisode`) and the previous reads r_{t−1}:
/// ```
/// (h_t, c_t) = LSTM([x_t, r_{t−1}], h_{t−1}, c_{t−1})
/// k_t        = tanh(W_k h_t + b_k)      one key per head, [readHeads, width]
/// α_t        = W_α h_t + b_α            one gate per head
/// r_t, M_t   = memory step (write k_t, then read with k_t)
/// logits_t   = W_o [h_t, r_t] + b_o     (softmax over the classes in the loss)
/// ```
/// Feeding the previous reads to the controller and the current reads to the output follows
/// the NTM layout the paper builds on. The paper does not name the key's nonlinearity; tanh
/// keeps keys bounded, as in the public reimplementations.
///
/// `apply` maps one episode `[T, inputs]` to logits `[T, classes]`; `features` to the
/// `[T, controllerUnits + readHeads·width]` vectors the output layer sees. States start at
/// zero for every episode.
public struct MANNModel: SequenceModel {
    public var inputs: Int, classes: Int
    public var controller: LSTMCell, keys: Dense, gates: Dense, output: Dense
    public var memory: LRUMemory

    /// - Parameters:
    ///   - inputs: the width of one step's input (pixels + classes).
    ///   - classes: the output classes.
    ///   - controllerUnits: LSTM units (200 in the paper).
    ///   - memory: the memory geometry (128 × 40, 4 heads, γ = 0.95 by default).
    public init(inputs: Int, classes: Int, controllerUnits: Int = 200, memory: LRUMemory = LRUMemory()) {
        self.inputs = inputs; self.classes = classes; self.memory = memory
        let readWidth = memory.readHeads * memory.width
        controller = LSTMCell("controller", inputs: inputs + readWidth, hidden: controllerUnits)
        keys = Dense("keys", inputs: controllerUnits, outputs: readWidth)
        gates = Dense("gates", inputs: controllerUnits, outputs: memory.readHeads)
        output = Dense("output", inputs: controllerUnits + readWidth, outputs: classes)
    }

    public var layers: [any Layer] { [controller, keys, gates, output] }

    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public func features<S: TensorScalar>(_ p: Parameters<Variable<S>>, _ x: Variable<S>) -> Variable<S> {
        require(x.rank == 2 && x.shape[1] == inputs, "shape error in MANNModel: input \(x.shape), expected [T, \(inputs)]")
        let heads = memory.readHeads, width = memory.width
        var h = Variable(Tensor<S>(zeros: [1, controller.hidden])), c = h
        var reads = Variable(Tensor<S>(zeros: [1, heads * width]))
        var state: LRUMemory.State<S> = memory.initialState()
        var steps: [Variable<S>] = []
        for t in 0..<x.shape[0] {
            let input = Variable.concatenate([x.slice(axis: 0, start: t, length: 1), reads], axis: 1)
            (h, c) = controller.step(p, input: input, hidden: h, cell: c)
            let k = keys.apply(p, h).tanh().reshaped([heads, width])
            let alpha = gates.apply(p, h).reshaped([heads, 1])
            let r: Variable<S>
            (r, state) = memory.step(state, keys: k, gates: alpha)
            reads = r.reshaped([1, heads * width])
            steps.append(Variable.concatenate([h, reads], axis: 1))
        }
        return Variable.concatenate(steps, axis: 0)
    }
}
