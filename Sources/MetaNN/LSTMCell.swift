import MetaTensor
import MetaAutodiff
import MetaRandom

/// One step of a long short-term memory cell (Hochreiter & Schmidhuber 1997, with a forget
/// gate): the building block of the meta-learner LSTM (Ravi & Larochelle 2017).
///
/// Parameters: `inputWeight [4H, I]`, `hiddenWeight [4H, H]`, `bias [4H]`, gates in the order
/// input, forget, cell, output. The forget-gate bias starts at 1 (Jozefowicz et al. 2015).
/// `step` maps `(x [n, I], h [n, H], c [n, H])` to the new `(h, c)`; written with primitives
/// only, so it differentiates to any order.
public struct LSTMCell: Layer {
    public var name: String, inputs: Int, hidden: Int

    public init(_ name: String, inputs: Int, hidden: Int) {
        self.name = name; self.inputs = inputs; self.hidden = hidden
    }

    public func initialParameters<S: TensorScalar>(using stream: inout RandomStream) -> [(String, Tensor<S>)] {
        let h = hidden
        var bias = [S](repeating: 0, count: 4 * h)
        for j in h..<(2 * h) { bias[j] = 1 }
        return [("\(name).inputWeight", Initializer.glorotUniform.make([4 * h, inputs], fanIn: inputs, fanOut: 4 * h, using: &stream)),
                ("\(name).hiddenWeight", Initializer.glorotUniform.make([4 * h, h], fanIn: h, fanOut: 4 * h, using: &stream)),
                ("\(name).bias", Tensor(shape: [4 * h], scalars: bias))]
    }

    /// The new hidden and cell states.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public func step<S: TensorScalar>(_ p: Parameters<Variable<S>>, input x: Variable<S>, hidden h: Variable<S>,
                                      cell c: Variable<S>) -> (hidden: Variable<S>, cell: Variable<S>) {
        require(x.rank == 2 && x.shape[1] == inputs && h.shape == [x.shape[0], hidden] && c.shape == h.shape,
                     "shape error in \(name): input \(x.shape), hidden \(h.shape), cell \(c.shape)")
        let gates = Variable.matmul(x, p["\(name).inputWeight"], transposeB: true)
            + Variable.matmul(h, p["\(name).hiddenWeight"], transposeB: true) + p["\(name).bias"]
        let H = hidden
        let i = gates.slice(axis: 1, start: 0, length: H).sigmoid()
        let f = gates.slice(axis: 1, start: H, length: H).sigmoid()
        let g = gates.slice(axis: 1, start: 2 * H, length: H).tanh()
        let o = gates.slice(axis: 1, start: 3 * H, length: H).sigmoid()
        let cell = f * c + i * g
        return (o * cell.tanh(), cell)
    }

    /// `apply` for the `Layer` protocol: one step from zero states, returning the hidden state.
    public func apply<S: TensorScalar>(_ p: Parameters<Variable<S>>, _ x: Variable<S>) -> Variable<S> {
        let zeros = Variable(Tensor<S>(zeros: [x.shape[0], hidden]))
        return step(p, input: x, hidden: zeros, cell: zeros).hidden
    }
}
