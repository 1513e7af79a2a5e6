import Testing
import Foundation
import MetaTensor

/// Every `UnaryKernel` against Foundation's functions, in Double and Float, and the numerical
/// edge cases: sigmoid far in both tails, every special-cased power.
@Suite struct UnaryKernelTests {
    static let allKernels: [UnaryKernel] = [.negate, .exp, .log, .tanh, .sigmoid, .relu, .sqrt, .abs, .square,
                                            .reciprocal, .positiveMask, .scale, .shift, .power]

    /// The definition of each kernel in plain Double arithmetic (Foundation's libm).
    static func reference(_ op: UnaryKernel, _ x: Double, _ p: Double) -> Double {
        switch op {
        case .negate: return -x
        case .exp: return Foundation.exp(x)
        case .log: return Foundation.log(x)
        case .tanh: return Foundation.tanh(x)
        case .sigmoid: return 1 / (1 + Foundation.exp(-x))
        case .relu: return x > 0 ? x : 0
        case .sqrt: return x.squareRoot()
        case .abs: return Swift.abs(x)
        case .square: return x * x
        case .reciprocal: return 1 / x
        case .positiveMask: return x > 0 ? 1 : 0
        case .scale: return x * p
        case .shift: return x + p
        case .power: return Foundation.pow(x, p)
        }
    }

    /// Inputs in each kernel's domain (positive where the function needs it), including 0
    /// where the function is defined there.
    static func inputs(for op: UnaryKernel) -> [Double] {
        switch op {
        case .log, .sqrt, .power: return [1e-3, 0.25, 0.5, 1, 2, 7.5, 1e6]
        case .reciprocal: return [-3, -0.5, 1e-3, 0.25, 1, 7.5]
        default: return [-7.5, -3, -1, -0.5, -1e-3, 0, 1e-3, 0.25, 1, 2.5, 7.5]
        }
    }

    @Test(arguments: allKernels)
    func doubleKernelMatchesDefinition(op: UnaryKernel) {
        let p = 1.75
        let xs = Self.inputs(for: op)
        let y = Tensor(shape: [xs.count], scalars: xs).map(op, parameter: p)
        for (x, got) in zip(xs, y.scalars) {
            let want = Self.reference(op, x, p)
            // A few ulps: the kernels may evaluate a formula differently (e.g. sigmoid's tails).
            #expect(Swift.abs(got - want) <= 1e-15 * Swift.max(Swift.abs(want), 1e-300), "\(op)(\(x))")
        }
    }

    @Test(arguments: allKernels)
    func floatKernelMatchesDefinitionToFloatPrecision(op: UnaryKernel) {
        let p: Float = 1.75
        let xs = Self.inputs(for: op).map { Float($0) }
        let y = Tensor(shape: [xs.count], scalars: xs).map(op, parameter: p)
        for (x, got) in zip(xs, y.scalars) {
            let want = Self.reference(op, Double(x), Double(p))
            // A few ulps of the result (exp of 7.5 and 1e6 squared included).
            #expect(Swift.abs(Double(got) - want) <= 3e-7 * Swift.max(Swift.abs(want), 1e-30), "\(op)(\(x))")
        }
    }

    @Test(arguments: [2.0, 0.5, -1, -0.5, 3.3, 1, 0, -2.5, 3, 4, -2])
    func powerMatchesPowForEveryExponent(p: Double) {
        // Fractional exponents need positive bases; integral ones are also checked on
        // negative bases (x³ of a negative x is negative, not NaN), and on 0 when p ≥ 0.
        var xs = [1e-3, 0.3, 1, 2.5, 40]
        if p == p.rounded() { xs += [-2.5, -0.3] + (p >= 0 ? [0] : []) }
        let y = Tensor(shape: [xs.count], scalars: xs).map(.power, parameter: p)
        for (x, got) in zip(xs, y.scalars) {
            let want = Foundation.pow(x, p)
            // The special cases (x·x, √x, 1/x, 1/√x) round differently from pow: a few ulps.
            #expect(Swift.abs(got - want) <= 1e-15 * Swift.abs(want), "\(x) ^ \(p) = \(got), want \(want)")
        }
    }

    @Test func sigmoidIsStableInBothTails() {
        let xs: [Double] = [-1000, -100, -40, 0, 40, 100, 1000]
        let y = Tensor(shape: [xs.count], scalars: xs).map(.sigmoid).scalars
        #expect(y.allSatisfy { $0.isFinite && $0 >= 0 && $0 <= 1 })
        #expect(y[0] == 0)
        // σ(−100) = e^−100 / (1 + e^−100): relative, not just absolute, accuracy in the tail.
        #expect(Swift.abs(y[1] - Foundation.exp(-100)) <= 1e-15 * Foundation.exp(-100))
        #expect(Swift.abs(y[2] - Foundation.exp(-40) / (1 + Foundation.exp(-40))) <= 1e-15 * Foundation.exp(-40))
        #expect(y[3] == 0.5)
        #expect(y[5] == 1 && y[6] == 1)
        #expect(Swift.abs(1 - y[4] - Foundation.exp(-40)) <= 1e-16)

        let f = Tensor<Float>(shape: [4], scalars: [-1000, -100, 100, 1000]).map(.sigmoid).scalars
        #expect(f.allSatisfy { $0.isFinite && $0 >= 0 && $0 <= 1 })
        #expect(f[0] == 0 && Double(f[1]) < 1e-40 && f[2] == 1 && f[3] == 1)
    }

    @Test func tanhSaturatesWithoutNaN() {
        let y = Tensor<Double>(shape: [4], scalars: [-1000, -30, 30, 1000]).map(.tanh).scalars
        #expect(y == [-1, -1, 1, 1])
        let f = Tensor<Float>(shape: [2], scalars: [-1000, 1000]).map(.tanh).scalars
        #expect(f == [-1, 1])
    }

    @Test func reluAndPositiveMaskTreatZeroAsInactive() {
        let x = Tensor<Double>(shape: [5], scalars: [-1, -0.0, 0, 1e-300, 2])
        #expect(x.map(.relu).scalars == [0, 0, 0, 1e-300, 2])
        #expect(x.map(.positiveMask).scalars == [0, 0, 0, 1, 1])
    }

    @Test func mapLeavesTheInputUnchanged() {
        let x = Tensor<Double>(shape: [3], scalars: [1, 2, 3])
        _ = x.map(.negate)
        #expect(x.scalars == [1, 2, 3])
    }
}
