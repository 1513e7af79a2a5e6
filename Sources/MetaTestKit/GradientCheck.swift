import MetaTensor
import MetaAutodiff

/// Finite-difference checks of derivatives, in `Double`.
///
/// First order: the autodiff gradient against central differences
/// `(f(x + εeᵢ) − f(x − εeᵢ)) / 2ε` for every coordinate. Second order: the Hessian-vector
/// product obtained by differentiating the gradient (`createGraph: true`) against central
/// differences of gradients `(∇f(x + εv) − ∇f(x − εv)) / 2ε`. Errors are relative:
/// `‖a − b‖ / max(‖b‖, floor)`.
public enum GradientCheck {
    public typealias Function = ([Variable<Double>]) -> Variable<Double>

    /// The relative error of the gradient of `f` at `x`.
    public static func firstOrderError(of f: Function, at x: [Tensor<Double>], epsilon: Double = 1e-6) -> Double {
        let (_, analytic) = valueWithGradient(at: x, of: f)
        var numeric: [Double] = [], computed: [Double] = []
        for (k, t) in x.enumerated() {
            computed += analytic[k].value.scalars
            for i in 0..<t.count {
                let plus = evaluate(f, x, k, i, epsilon), minus = evaluate(f, x, k, i, -epsilon)
                numeric.append((plus - minus) / (2 * epsilon))
            }
        }
        return relativeError(computed, numeric)
    }

    /// The relative error of the Hessian-vector product of `f` at `x` along a direction `v`.
    public static func secondOrderError(of f: Function, at x: [Tensor<Double>], direction v: [Tensor<Double>],
                                        epsilon: Double = 1e-5) -> Double {
        require(zip(x, v).allSatisfy { $0.shape == $1.shape }, "direction shapes must match the point")
        let analytic = hessianVectorProduct(of: f, at: x, direction: v)
        let plus = gradient(of: f, at: zip(x, v).map { $0 + $1 * epsilon })
        let minus = gradient(of: f, at: zip(x, v).map { $0 - $1 * epsilon })
        let numeric = zip(plus, minus).flatMap { p, m in ((p - m) * (1 / (2 * epsilon))).scalars }
        return relativeError(analytic.flatMap(\.scalars), numeric)
    }

    /// `H v` by reverse-over-reverse: differentiate `⟨∇f(x), v⟩` with respect to `x`.
    public static func hessianVectorProduct(of f: Function, at x: [Tensor<Double>], direction v: [Tensor<Double>]) -> [Tensor<Double>] {
        let inputs = x.map { Variable(differentiable: $0) }
        let y = f(inputs)
        let g = gradients(of: y, withRespectTo: inputs, createGraph: true)
        var inner = Variable<Double>(0)
        for (gi, vi) in zip(g, v) { inner = inner + (gi * Variable(vi)).sum() }
        return gradients(of: inner, withRespectTo: inputs).map(\.value)
    }

    /// The gradient of `f` at `x` (no graph kept).
    public static func gradient(of f: Function, at x: [Tensor<Double>]) -> [Tensor<Double>] {
        valueWithGradient(at: x, of: f).gradient.map(\.value)
    }

    /// `‖a − b‖ / max(‖b‖, floor)`.
    public static func relativeError(_ a: [Double], _ b: [Double], floor: Double = 1e-12) -> Double {
        require(a.count == b.count, "relativeError: \(a.count) vs \(b.count) values")
        var diff = 0.0, norm = 0.0
        for (p, q) in zip(a, b) { diff += (p - q) * (p - q); norm += q * q }
        return diff.squareRoot() / Swift.max(norm.squareRoot(), floor)
    }

    private static func evaluate(_ f: Function, _ x: [Tensor<Double>], _ k: Int, _ i: Int, _ delta: Double) -> Double {
        var shifted = x
        shifted[k].withUnsafeMutableBufferPointer { $0[i] += delta }
        return f(shifted.map { Variable($0) }).scalar
    }
}
