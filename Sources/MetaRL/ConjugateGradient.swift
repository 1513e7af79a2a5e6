/// Conjugate gradient for `A x = b` with a symmetric positive-definite `A` known only through
/// products `A p` (Hestenes & Stiefel 1952; the solver of TRPO, Schulman et al. 2015,
/// Appendix C), as a state machine: ``product`` is the vector whose product with `A` it
/// needs next (nil once done); ``receive(_:)`` takes that product. No I/O, so the products can
/// be computed anywhere (reduced across workers) between the steps.
///
/// As rllab's `cg`: starts from x = 0, at most `iterations` products, stops early once the
/// squared residual is below `tolerance`.
public struct ConjugateGradient: Sendable, Equatable {
    public private(set) var x: [Double]
    private var r: [Double]
    private var p: [Double]
    private var rr: Double
    public private(set) var iterationsDone = 0
    public let iterations: Int
    public let tolerance: Double

    public init(b: [Double], iterations: Int, tolerance: Double = 1e-10) {
        x = [Double](repeating: 0, count: b.count)
        r = b; p = b
        rr = Self.dot(b, b)
        self.iterations = iterations; self.tolerance = tolerance
    }

    /// The vector to multiply by `A` next, or nil when the solve is finished.
    public var product: [Double]? { iterationsDone < iterations && rr >= tolerance ? p : nil }

    /// Takes `A p` for the vector ``product`` asked for.
    public mutating func receive(_ ap: [Double]) {
        precondition(product != nil && ap.count == p.count, "ConjugateGradient: a product was not asked for, or has the wrong size")
        let alpha = rr / Self.dot(p, ap)
        for i in x.indices { x[i] += alpha * p[i]; r[i] -= alpha * ap[i] }
        let next = Self.dot(r, r)
        let beta = next / rr
        for i in p.indices { p[i] = r[i] + beta * p[i] }
        rr = next
        iterationsDone += 1
    }

    /// Solves with `multiply` computing the products in this process.
    public static func solve(b: [Double], iterations: Int, tolerance: Double = 1e-10, multiply: ([Double]) -> [Double]) -> [Double] {
        var cg = ConjugateGradient(b: b, iterations: iterations, tolerance: tolerance)
        while let p = cg.product { cg.receive(multiply(p)) }
        return cg.x
    }

    static func dot(_ a: [Double], _ b: [Double]) -> Double {
        var s = 0.0
        for i in a.indices { s += a[i] * b[i] }
        return s
    }
}
