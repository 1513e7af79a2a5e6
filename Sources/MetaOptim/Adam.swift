import MetaTensor
import MetaNN

/// Adam (Kingma & Ba, "Adam: A method for stochastic optimization", ICLR 2015), exactly as
/// Algorithm 1 of the paper, bias correction included. At step t = 1, 2, … with gradient g:
/// ```
/// m ← β₁·m + (1 − β₁)·g
/// v ← β₂·v + (1 − β₂)·g²
/// m̂ = m / (1 − β₁ᵗ)
/// v̂ = v / (1 − β₂ᵗ)
/// θ ← θ − α·m̂ / (√v̂ + ε)
/// ```
/// ε is added outside the square root, as in the paper, PyTorch's `torch.optim.Adam` and
/// optax's `adam` (`eps_root = 0`). Because of the bias correction the first step moves each
/// coordinate by α·g/(|g| + ε) ≈ α·sign(g).
///
/// Numerics: the moments and parameters are kept in `Scalar`. The bias corrections 1 − βᵗ
/// are computed in `Double` (from the `Scalar` values of β) by binary exponentiation, which
/// uses only IEEE multiplications and so gives the same bits on every platform (unlike the C
/// library's `pow`); they are folded into one scale each, `m·(α/(1−β₁ᵗ))` and
/// `√(v·(1/(1−β₂ᵗ)))`, rounded to `Scalar` once. The update is three elementwise passes per
/// parameter tensor (new m, new v, new θ) with no temporaries.
///
/// Checkpoint layout (``stateTensors(_:)``): `adam.step` (``StepCount`` limbs), then
/// `adam.m.<parameter>` and `adam.v.<parameter>` for every parameter, in parameter order.
public struct Adam<Scalar: TensorScalar>: Optimizer {
    /// α: the step size.
    public var learningRate: Scalar
    /// β₁ in [0, 1): decay of the first-moment estimate.
    public var beta1: Scalar
    /// β₂ in [0, 1): decay of the second-moment estimate.
    public var beta2: Scalar
    /// ε > 0: added to √v̂ in the denominator.
    public var epsilon: Scalar

    public init(learningRate: Scalar, beta1: Scalar = 0.9, beta2: Scalar = 0.999, epsilon: Scalar = 1e-8) {
        require(learningRate.isFinite && learningRate >= 0, "Adam: learning rate must be finite and ≥ 0, got \(learningRate)")
        require(beta1 >= 0 && beta1 < 1, "Adam: beta1 must be in [0, 1), got \(beta1)")
        require(beta2 >= 0 && beta2 < 1, "Adam: beta2 must be in [0, 1), got \(beta2)")
        require(epsilon > 0 && epsilon.isFinite, "Adam: epsilon must be finite and > 0, got \(epsilon)")
        self.learningRate = learningRate; self.beta1 = beta1; self.beta2 = beta2; self.epsilon = epsilon
    }

    /// The step count t and the biased moment estimates m and v.
    public struct State: Sendable, Equatable {
        /// How many updates have been applied (t after the last update).
        public var step: Int
        /// m: the exponential moving average of the gradients.
        public var firstMoment: Parameters<Tensor<Scalar>>
        /// v: the exponential moving average of the squared gradients.
        public var secondMoment: Parameters<Tensor<Scalar>>

        public init(step: Int, firstMoment: Parameters<Tensor<Scalar>>, secondMoment: Parameters<Tensor<Scalar>>) {
            self.step = step; self.firstMoment = firstMoment; self.secondMoment = secondMoment
        }
    }

    public func initialState(for parameters: Parameters<Tensor<Scalar>>) -> State {
        let zeros = parameters.map { Tensor<Scalar>(zeros: $0.shape) }
        return State(step: 0, firstMoment: zeros, secondMoment: zeros)
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func update(_ parameters: Parameters<Tensor<Scalar>>, gradients: Parameters<Tensor<Scalar>>,
                       state: State) -> (parameters: Parameters<Tensor<Scalar>>, state: State) {
        requireMatching(gradients, parameters, "Adam gradients")
        requireMatching(state.firstMoment, parameters, "Adam first moment")
        requireMatching(state.secondMoment, parameters, "Adam second moment")
        let t = state.step + 1
        let b1 = beta1, b2 = beta2, oneMinusB1 = 1 - beta1, oneMinusB2 = 1 - beta2, eps = epsilon
        let correction1 = 1 - integerPower(Double(beta1), t)
        let correction2 = 1 - integerPower(Double(beta2), t)
        let stepScale = Scalar(Double(learningRate) / correction1)   // α / (1 − β₁ᵗ)
        let varianceScale = Scalar(1 / correction2)                   // 1 / (1 − β₂ᵗ)

        var m: [Tensor<Scalar>] = [], v: [Tensor<Scalar>] = [], theta: [Tensor<Scalar>] = []
        m.reserveCapacity(parameters.count); v.reserveCapacity(parameters.count); theta.reserveCapacity(parameters.count)
        for i in 0..<parameters.count {
            // One pass per output, each element computed with exactly the operations (and in
            // the order) of the formulas above: the same bits as whole-tensor kernels would
            // give, without their temporaries.
            let shape = parameters.values[i].shape
            gradients.values[i].withUnsafeBufferPointer { g in
                let mi = state.firstMoment.values[i].withUnsafeBufferPointer { m0 in
                    Tensor<Scalar>(shape: shape) { out, n in for k in 0..<n { out[k] = m0[k] * b1 + g[k] * oneMinusB1 } }
                }
                let vi = state.secondMoment.values[i].withUnsafeBufferPointer { v0 in
                    Tensor<Scalar>(shape: shape) { out, n in for k in 0..<n { out[k] = v0[k] * b2 + (g[k] * g[k]) * oneMinusB2 } }
                }
                let next = parameters.values[i].withUnsafeBufferPointer { p in
                    mi.withUnsafeBufferPointer { mk in
                        vi.withUnsafeBufferPointer { vk in
                            Tensor<Scalar>(shape: shape) { out, n in
                                for k in 0..<n {
                                    let denominator = (vk[k] * varianceScale).squareRoot() + eps   // √v̂ + ε
                                    out[k] = p[k] - (mk[k] * stepScale) / denominator
                                }
                            }
                        }
                    }
                }
                theta.append(next); m.append(mi); v.append(vi)
            }
        }
        let layout = parameters.layout
        return (Parameters(layout: layout, values: theta),
                State(step: t, firstMoment: Parameters(layout: layout, values: m),
                      secondMoment: Parameters(layout: layout, values: v)))
    }

    public func stateTensors(_ state: State) -> Parameters<Tensor<Scalar>> {
        var entries: [(String, Tensor<Scalar>)] = [("adam.step", StepCount.tensor(state.step))]
        entries += zip(state.firstMoment.names, state.firstMoment.values).map { ("adam.m.\($0)", $1) }
        entries += zip(state.secondMoment.names, state.secondMoment.values).map { ("adam.v.\($0)", $1) }
        return Parameters(entries)
    }

    public func restoreState(from tensors: Parameters<Tensor<Scalar>>,
                             for parameters: Parameters<Tensor<Scalar>>) throws -> State {
        let expected = ["adam.step"] + parameters.names.map { "adam.m.\($0)" } + parameters.names.map { "adam.v.\($0)" }
        let byName = try storedTensors(tensors, expected: expected, optimizer: "Adam")
        return State(step: try StepCount.value(of: byName["adam.step"]!, name: "adam.step"),
                     firstMoment: try storedMoments(byName, prefix: "adam.m", for: parameters),
                     secondMoment: try storedMoments(byName, prefix: "adam.v", for: parameters))
    }
}

/// `base` raised to the non-negative integer `exponent` by repeated squaring: at most
/// 2·log₂(exponent) correctly rounded multiplications, so the result is platform-independent.
func integerPower(_ base: Double, _ exponent: Int) -> Double {
    require(exponent >= 0, "integerPower needs a non-negative exponent, got \(exponent)")
    var result = 1.0, square = base, e = exponent
    while e > 0 {
        if e & 1 == 1 { result *= square }
        e >>= 1
        if e > 0 { square *= square }
    }
    return result
}
