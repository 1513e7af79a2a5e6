import MetaTensor

/// The input coding of a learned optimizer (Andrychowicz et al. 2016, "Learning to learn by
/// gradient descent by gradient descent", appendix A; used by Ravi & Larochelle 2017):
/// each scalar x becomes two numbers of moderate size, whatever its magnitude,
/// ```
/// x ↦ (log|x| / p, sign x)   if |x| ≥ e^−p
///     (−1, e^p · x)           otherwise
/// ```
/// with p = 10 in both papers. The first component carries the magnitude on a log scale,
/// the second the sign; below e^−p the magnitude no longer matters and x is passed on
/// linearly. The two branches meet at |x| = e^−p (both give (−1, sign x)), so the coding is
/// continuous.
///
/// Values, not variables: the meta-learner treats its gradient and loss inputs as constants,
/// so nothing here is differentiated. Computed in `S` per scalar with the `Real` functions.
public enum GradientPreprocessing {
    /// p in the formula above: 10 in Andrychowicz et al. 2016 and in Ravi & Larochelle's code
    /// (`model/lstm/lstm-helper.lua`, `local P = 10`).
    public static let defaultExponent = 10.0

    /// The coding of one scalar.
    @inlinable
    public static func code<S: TensorScalar>(_ x: S, exponent p: S) -> (S, S) {
        let magnitude = Swift.abs(x)
        if magnitude >= S.exp(-p) { return (S.log(magnitude) / p, x > 0 ? 1 : -1) }
        return (-1, S.exp(p) * x)
    }

    /// The coding of every element of `x`: shape `[x.count, 2]`, row i holding the two
    /// components for element i (in `x`'s storage order).
    public static func code<S: TensorScalar>(_ x: Tensor<S>, exponent: Double = defaultExponent) -> Tensor<S> {
        let p = S(exponent)
        let xs = x.scalars
        return Tensor(shape: [xs.count, 2]) { out, _ in
            for (i, v) in xs.enumerated() {
                let (a, b) = code(v, exponent: p)
                out[2 * i] = a; out[2 * i + 1] = b
            }
        }
    }
}
