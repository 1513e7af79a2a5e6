import MetaTensor
import MetaAutodiff

/// The plain LSTM baseline of Santoro et al. (ICML 2016, Fig. 2 and Table 1): the same
/// controller as ``MANNModel`` without the memory, its hidden state mapped to class logits
/// at every step.
///
/// `apply` maps one episode `[T, inputs]` to logits `[T, classes]`; states start at zero.
public struct LSTMSequenceModel: SequenceModel {
    public var inputs: Int, classes: Int
    public var cell: LSTMCell, output: Dense

    public init(inputs: Int, classes: Int, units: Int = 200) {
        self.inputs = inputs; self.classes = classes
        cell = LSTMCell("lstm", inputs: inputs, hidden: units)
        output = Dense("output", inputs: units, outputs: classes)
    }

    public var layers: [any Layer] { [cell, output] }

    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public func features<S: TensorScalar>(_ p: Parameters<Variable<S>>, _ x: Variable<S>) -> Variable<S> {
        require(x.rank == 2 && x.shape[1] == inputs, "shape error in LSTMSequenceModel: input \(x.shape), expected [T, \(inputs)]")
        var h = Variable(Tensor<S>(zeros: [1, cell.hidden])), c = h
        var steps: [Variable<S>] = []
        for t in 0..<x.shape[0] {
            (h, c) = cell.step(p, input: x.slice(axis: 0, start: t, length: 1), hidden: h, cell: c)
            steps.append(h)
        }
        return Variable.concatenate(steps, axis: 0)
    }
}
