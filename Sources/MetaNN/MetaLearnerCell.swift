import MetaTensor
import MetaAutodiff
import MetaRandom

/// The second layer of the meta-learner LSTM (Ravi & Larochelle 2017, §3, equations 1–2): an LSTM
/// cell whose cell state is the learner's parameters, one coordinate per row.
///
/// For each coordinate, with `h` the first layer's hidden state, `c` the learner's parameter
/// and `∇` the learner's gradient at `c`:
/// ```
/// i_t = σ(W_I · [h_t, c_{t−1}, i_{t−1}] + b_I)     a learned learning rate
/// f_t = σ(W_F · [h_t, c_{t−1}, f_{t−1}] + b_F)     a learned decay
/// c_t = f_t ⊙ c_{t−1} + i_t ⊙ (−∇_t)
/// ```
/// With `i_t = α` and `f_t = 1` the update is exactly SGD with step α.
///
/// Parameters (shared by every coordinate): `inputGateWeight`, `forgetGateWeight`
/// `[1, inputs + 2]` (columns: the `inputs` hidden features, then c, then the gate's previous
/// value) and `inputGateBias`, `forgetGateBias` `[1]`. Initialisation as in the reference
/// code (`model/lstm/meta-learner-lstm.lua` of twitter-research/meta-learning-lstm): weights
/// U(−0.01, 0.01), `b_F ~ U(4, 5)` so that f ≈ 0.99 and `b_I ~ U(−5, −4)` so that i ≈ 0.01:
/// the meta-learner starts close to gradient descent with a small step (the paper's
/// paragraph "Initialization of meta-learner LSTM").
///
/// Written with primitives only, so it differentiates to any order.
public struct MetaLearnerCell: Sendable {
    public var name: String
    /// The width of the first layer's hidden state.
    public var inputs: Int

    public init(_ name: String, inputs: Int) {
        self.name = name; self.inputs = inputs
    }

    public func initialParameters<S: TensorScalar>(using stream: inout RandomStream) -> [(String, Tensor<S>)] {
        let width = inputs + 2
        let inputWeight: Tensor<S> = stream.uniformTensor([1, width], low: -0.01, high: 0.01)
        let forgetWeight: Tensor<S> = stream.uniformTensor([1, width], low: -0.01, high: 0.01)
        let inputBias: Tensor<S> = stream.uniformTensor([1], low: -5, high: -4)
        let forgetBias: Tensor<S> = stream.uniformTensor([1], low: 4, high: 5)
        return [("\(name).inputGateWeight", inputWeight), ("\(name).inputGateBias", inputBias),
                ("\(name).forgetGateWeight", forgetWeight), ("\(name).forgetGateBias", forgetBias)]
    }

    /// The input and forget gates `[n, 1]` from the first layer's hidden state `h [n, inputs]`,
    /// the current parameters `c [n, 1]` and the previous gate values `[n, 1]`.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public func gates<S: TensorScalar>(_ p: Parameters<Variable<S>>, hidden h: Variable<S>, cell c: Variable<S>,
                                       previousInputGate iPrevious: Variable<S>,
                                       previousForgetGate fPrevious: Variable<S>) -> (input: Variable<S>, forget: Variable<S>) {
        let n = h.shape[0]
        require(h.shape == [n, inputs] && c.shape == [n, 1] && iPrevious.shape == [n, 1] && fPrevious.shape == [n, 1],
                "shape error in \(name): hidden \(h.shape), cell \(c.shape), gates \(iPrevious.shape), \(fPrevious.shape)")
        let i = Variable.matmul(Variable.concatenate([h, c, iPrevious], axis: 1), p["\(name).inputGateWeight"],
                                transposeB: true) + p["\(name).inputGateBias"]
        let f = Variable.matmul(Variable.concatenate([h, c, fPrevious], axis: 1), p["\(name).forgetGateWeight"],
                                transposeB: true) + p["\(name).forgetGateBias"]
        return (i.sigmoid(), f.sigmoid())
    }

    /// `c_t = f ⊙ c_{t−1} + i ⊙ (−∇)`: the parameter update the gates define.
    ///
    /// Written so that `i = α`, `f = 1` gives `c − α∇` to the bit: `1 · c = c`,
    /// `α · (−∇) = −(α∇)` and `c + (−y) = c − y` are all exact in IEEE arithmetic.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public static func update<S: TensorScalar>(cell c: Variable<S>, inputGate i: Variable<S>, forgetGate f: Variable<S>,
                                               gradient g: Variable<S>) -> Variable<S> {
        f * c + i * (-g)
    }

    /// One step: the gates, then the update. Returns the new parameters and the gates (the
    /// next step's previous gates).
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public func step<S: TensorScalar>(_ p: Parameters<Variable<S>>, hidden h: Variable<S>, cell c: Variable<S>,
                                      previousInputGate iPrevious: Variable<S>, previousForgetGate fPrevious: Variable<S>,
                                      gradient g: Variable<S>)
        -> (cell: Variable<S>, inputGate: Variable<S>, forgetGate: Variable<S>) {
        let (i, f) = gates(p, hidden: h, cell: c, previousInputGate: iPrevious, previousForgetGate: fPrevious)
        return (Self.update(cell: c, inputGate: i, forgetGate: f, gradient: g), i, f)
    }
}
