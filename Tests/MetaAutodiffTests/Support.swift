import Testing
import MetaTensor
import MetaAutodiff
import MetaRandom
import MetaTestKit

// Shared helpers of the gradient tests: random inputs that keep away from kinks, and the
// first- plus second-order finite-difference check every op goes through.

/// Uniform draws in [low, high) from the testing stream `seed`.
func randomTensor(_ shape: [Int], seed: UInt64, low: Double = -1, high: Double = 1) -> Tensor<Double> {
    var stream = RandomStream(seed: seed, purpose: .testing)
    return stream.uniformTensor(shape, low: low, high: high)
}

/// Random values with `margin ≤ |x| ≤ 1`: far from the kink at 0 of relu and abs compared with
/// the finite-difference steps (1e-6, and 1e-5 along a unit direction).
func awayFromZero(_ shape: [Int], seed: UInt64, margin: Double = 0.1) -> Tensor<Double> {
    randomTensor(shape, seed: seed).map(.abs).map(.scale, parameter: 1 - margin).map(.shift, parameter: margin)
        * randomSigns(shape, seed: seed + 7919)
}

/// ±1 at random.
func randomSigns(_ shape: [Int], seed: UInt64) -> Tensor<Double> {
    randomTensor(shape, seed: seed).map(.positiveMask).map(.scale, parameter: 2).map(.shift, parameter: -1)
}

/// Distinct values `offset + spacing · k` (k = −n/2 ..< n − n/2) in random order: every pair differs by at least
/// `spacing`, so maxima (max-pool, reduce-max, maximum/minimum) never tie under the
/// finite-difference steps.
func distinctValues(_ shape: [Int], seed: UInt64, spacing: Double = 0.1, offset: Double = 0) -> Tensor<Double> {
    var stream = RandomStream(seed: seed, purpose: .testing)
    let n = shape.reduce(1, *)
    var values = (0..<n).map { offset + spacing * Double($0 - n / 2) }
    stream.shuffle(&values)
    return Tensor(shape: shape, scalars: values)
}

/// Checks the first and second derivatives of `op` at `x` against central differences.
///
/// The op's output is scalarised as `f(x) = Σ c ⊙ op(x) + ½ Σ d ⊙ op(x)²` with random
/// constants `c`, `d`, so the cotangent reaching the op, `c + d ⊙ op(x)`, depends on the
/// inputs: the Hessian `Jᵀ diag(d) J + Σ (c + d ⊙ op) ∇²op` is non-zero even for linear ops,
/// and the Hessian-vector product exercises the derivative of the op's rule in both its
/// cotangent and its inputs.
///
/// Tolerances (relative, in the norm): central differences in Double with step 1e-6 have
/// truncation error ~1e-12 and rounding error ~1e-10 relative to the values, hence 1e-6 for
/// the gradient; the Hessian-vector product differences gradients with step 1e-5, hence 1e-5.
func expectCorrectDerivatives(of op: @escaping ([Variable<Double>]) -> Variable<Double>, at x: [Tensor<Double>],
                              seed: UInt64 = 1000, firstOrderTolerance: Double = 1e-6,
                              secondOrderTolerance: Double = 1e-5,
                              sourceLocation: SourceLocation = #_sourceLocation) {
    let y = op(x.map { Variable($0) }).value
    let c = Variable(randomTensor(y.shape, seed: seed)), d = Variable(randomTensor(y.shape, seed: seed + 1))
    let f: GradientCheck.Function = { v in
        let out = op(v)
        return (c * out).sum() + (d * out.squared()).sum() * 0.5
    }
    let direction = x.enumerated().map { randomTensor($1.shape, seed: seed + 2 + UInt64($0)) }
    let first = GradientCheck.firstOrderError(of: f, at: x)
    let second = GradientCheck.secondOrderError(of: f, at: x, direction: direction)
    #expect(first < firstOrderTolerance, "first-order relative error \(first)", sourceLocation: sourceLocation)
    #expect(second < secondOrderTolerance, "second-order relative error \(second)", sourceLocation: sourceLocation)
}

/// The gradient of `f` at `x` as plain tensors.
func gradient(of f: ([Variable<Double>]) -> Variable<Double>, at x: [Tensor<Double>]) -> [Tensor<Double>] {
    valueWithGradient(at: x, of: f).gradient.map(\.value)
}

/// The largest elementwise difference.
func maxAbsDifference(_ a: Tensor<Double>, _ b: Tensor<Double>) -> Double {
    precondition(a.shape == b.shape, "maxAbsDifference: \(a.shape) vs \(b.shape)")
    return zip(a.scalars, b.scalars).reduce(0) { max($0, abs($1.0 - $1.1)) }
}

/// `Σ a·b` over all elements.
func innerProduct(_ a: Tensor<Double>, _ b: Tensor<Double>) -> Double {
    precondition(a.shape == b.shape, "innerProduct: \(a.shape) vs \(b.shape)")
    return zip(a.scalars, b.scalars).reduce(0) { $0 + $1.0 * $1.1 }
}
