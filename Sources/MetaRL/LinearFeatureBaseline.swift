/// The linear feature baseline of the MAML reference code (rllab's `LinearFeatureBaseline`,
/// used by Finn et al. 2017 §5.3): a value estimate linear in the features
/// `[o, o², t/100, (t/100)², (t/100)³, 1]` of observation `o` (clipped to [−10, 10]) at step
/// `t`, fit to the discounted returns by regularised least squares
/// `(FᵀF + c I) w = Fᵀ R` with c = 1e-5, multiplied by 10 (up to five tries) while the
/// solution is not finite.
public struct LinearFeatureBaseline: Sendable, Equatable {
    public var coefficients: [Double]

    public static let regularisation = 1e-5

    /// The features of every step of `path` (observations of width `observationWidth`), row-major.
    public static func features(_ path: Path, observationWidth: Int) -> [[Double]] {
        (0..<path.steps).map { t in
            let o = (0..<observationWidth).map { Swift.min(Swift.max(path.observations[t * observationWidth + $0], -10), 10) }
            let a = Double(t) / 100
            return o + o.map { $0 * $0 } + [a, a * a, a * a * a, 1]
        }
    }

    /// Fits to `paths`' discounted returns.
    public static func fit(_ paths: [Path], discount: Double, observationWidth: Int) -> LinearFeatureBaseline {
        let rows = paths.flatMap { features($0, observationWidth: observationWidth) }
        let targets = paths.flatMap { $0.discountedReturns(discount: discount) }
        let k = 2 * observationWidth + 4
        var gram = [Double](repeating: 0, count: k * k), rhs = [Double](repeating: 0, count: k)
        for (f, r) in zip(rows, targets) {
            for i in 0..<k {
                rhs[i] += f[i] * r
                for j in 0..<k { gram[i * k + j] += f[i] * f[j] }
            }
        }
        var c = regularisation
        for _ in 0..<5 {
            var a = gram
            for i in 0..<k { a[i * k + i] += c }
            if let w = DenseSolve.solve(a, rhs) { return LinearFeatureBaseline(coefficients: w) }
            c *= 10
        }
        return LinearFeatureBaseline(coefficients: [Double](repeating: 0, count: k))
    }

    public init(coefficients: [Double]) { self.coefficients = coefficients }

    /// The value estimate at every step of `path`.
    public func predict(_ path: Path, observationWidth: Int) -> [Double] {
        Self.features(path, observationWidth: observationWidth).map { f in zip(f, coefficients).reduce(0) { $0 + $1.0 * $1.1 } }
    }
}
