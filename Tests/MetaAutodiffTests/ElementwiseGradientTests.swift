import Testing
import MetaTensor
import MetaAutodiff
import MetaTestKit

/// First and second derivatives of the elementwise primitives (unary and broadcasting binary)
/// and of the operators built on them.
@Suite struct ElementwiseGradientTests {
    static let differentiableUnaryKernels: [UnaryKernel] = [.negate, .exp, .log, .tanh, .sigmoid, .relu, .sqrt, .abs,
                                                           .square, .reciprocal, .scale, .shift, .power]

    /// Inputs inside each kernel's domain and away from its kinks and poles.
    static func input(for op: UnaryKernel, shape: [Int], seed: UInt64) -> Tensor<Double> {
        switch op {
        case .log, .sqrt, .power: return randomTensor(shape, seed: seed, low: 0.5, high: 2)
        case .relu, .abs, .reciprocal: return awayFromZero(shape, seed: seed, margin: 0.3)
        default: return randomTensor(shape, seed: seed, low: -2, high: 2)
        }
    }

    @Test(arguments: differentiableUnaryKernels)
    func unaryPrimitiveHasCorrectFirstAndSecondDerivatives(op: UnaryKernel) {
        let x = Self.input(for: op, shape: [2, 3], seed: 1)
        expectCorrectDerivatives(of: { $0[0].map(op, parameter: 1.7) }, at: [x])
    }

    @Test(arguments: [2.0, 0.5, -1, -0.5, 3.3, 1, 3, -2])
    func powerWithConstantExponentHasCorrectDerivatives(p: Double) {
        let x = randomTensor([2, 3], seed: 2, low: 0.5, high: 2)
        expectCorrectDerivatives(of: { $0[0].pow(p) }, at: [x])
    }

    @Test func integralPowerHasCorrectDerivativesAtNegativeBases() {
        for p in [3.0, 4, -3] {
            let x = awayFromZero([2, 3], seed: 3, margin: 0.4)
            expectCorrectDerivatives(of: { $0[0].pow(p) }, at: [x])
        }
    }

    @Test func powerWithTensorExponentHasCorrectDerivatives() {
        let base = randomTensor([2, 3], seed: 4, low: 0.5, high: 2), exponent = randomTensor([2, 3], seed: 5, low: -2, high: 2)
        expectCorrectDerivatives(of: { $0[0].pow($0[1]) }, at: [base, exponent])
        // A broadcast exponent.
        expectCorrectDerivatives(of: { $0[0].pow($0[1]) }, at: [base, randomTensor([3], seed: 6)])
    }

    @Test func positiveMaskHasNoGradient() {
        let x = awayFromZero([4], seed: 7)
        let g = gradient(of: { ($0[0].map(.positiveMask) * $0[0]).sum() }, at: [x])[0]
        // Only the product's second factor carries a gradient: the mask itself.
        #expect(g == x.map(.positiveMask))
    }

    /// Broadcasting shape pairs: equal, rank mismatch, size-1 stretch on one or both sides, rank 0.
    static let shapePairs: [([Int], [Int])] = [
        ([2, 3], [2, 3]), ([2, 3], [3]), ([3], [2, 3]), ([2, 1, 4], [3, 1]), ([4, 1], [1, 3]), ([], [2, 3]), ([2, 2], []),
    ]

    @Test(arguments: [BinaryKernel.add, .subtract, .multiply, .divide])
    func arithmeticWithBroadcastingHasCorrectDerivatives(op: BinaryKernel) {
        for (k, (sa, sb)) in Self.shapePairs.enumerated() {
            let a = randomTensor(sa, seed: UInt64(10 + 2 * k))
            // Divisors stay away from 0.
            let b = op == .divide ? awayFromZero(sb, seed: UInt64(11 + 2 * k), margin: 0.5) : randomTensor(sb, seed: UInt64(11 + 2 * k))
            expectCorrectDerivatives(of: { Variable.apply(.binary(op), [$0[0], $0[1]]) }, at: [a, b])
        }
    }

    @Test(arguments: [BinaryKernel.maximum, .minimum])
    func maximumAndMinimumWithBroadcastingHaveCorrectDerivatives(op: BinaryKernel) {
        // Interleaved levels: a on multiples of 0.2, b halfway between, so |a − b| ≥ 0.1 everywhere.
        for (k, (sa, sb)) in Self.shapePairs.enumerated() {
            let a = distinctValues(sa, seed: UInt64(30 + 2 * k), spacing: 0.2)
            let b = distinctValues(sb, seed: UInt64(31 + 2 * k), spacing: 0.2, offset: 0.1)
            let f: ([Variable<Double>]) -> Variable<Double> = op == .maximum
                ? { Variable.maximum($0[0], $0[1]) } : { Variable.minimum($0[0], $0[1]) }
            expectCorrectDerivatives(of: f, at: [a, b])
        }
    }

    @Test func maximumSendsTheGradientOfATieToTheFirstOperand() {
        let a = Tensor<Double>(shape: [3], scalars: [1, 2, 3]), b = Tensor<Double>(shape: [3], scalars: [1, 5, 0])
        let gMax = gradient(of: { Variable.maximum($0[0], $0[1]).sum() }, at: [a, b])
        #expect(gMax[0].scalars == [1, 0, 1] && gMax[1].scalars == [0, 1, 0])
        let gMin = gradient(of: { Variable.minimum($0[0], $0[1]).sum() }, at: [a, b])
        #expect(gMin[0].scalars == [1, 1, 0] && gMin[1].scalars == [0, 0, 1])
    }

    @Test(arguments: [BinaryKernel.greater, .equal])
    func comparisonsHaveNoGradient(op: BinaryKernel) {
        let a = randomTensor([2, 3], seed: 40), b = randomTensor([3], seed: 41)
        let g = gradient(of: { (Variable.apply(.binary(op), [$0[0], $0[1]]) * $0[0]).sum() }, at: [a, b])
        // Only the product's second factor carries a gradient: the comparison's 0/1 values.
        #expect(g[0] == Tensor.zip(op, a, b))
        #expect(g[1] == Tensor(zeros: [3]))
    }

    @Test func scalarOperatorsHaveCorrectDerivatives() {
        let x = randomTensor([2, 3], seed: 50)
        expectCorrectDerivatives(of: { $0[0] * 2.5 }, at: [x])
        expectCorrectDerivatives(of: { 2.5 * $0[0] }, at: [x])
        expectCorrectDerivatives(of: { $0[0] / 4 }, at: [x])
        expectCorrectDerivatives(of: { $0[0] + 0.7 }, at: [x])
        expectCorrectDerivatives(of: { 0.7 + $0[0] }, at: [x])
        expectCorrectDerivatives(of: { $0[0] - 0.7 }, at: [x])
        expectCorrectDerivatives(of: { 0.7 - $0[0] }, at: [x])
        expectCorrectDerivatives(of: { -$0[0] }, at: [x])
    }

    @Test func compositionOfElementwiseOpsHasCorrectDerivatives() {
        let x = randomTensor([3, 2], seed: 60), y = randomTensor([2], seed: 61, low: 0.5, high: 1.5)
        expectCorrectDerivatives(of: { v in
            ((v[0] * v[1]).tanh() + v[1].log() * v[0].sigmoid()).exp() / (v[0].squared() + 1).sqrt()
        }, at: [x, y])
    }

    @Test func unaryOperatorValuesAreTheKernels() {
        let x = randomTensor([5], seed: 70, low: 0.5, high: 2)
        let v = Variable(x)
        #expect(v.exp().value == x.map(.exp))
        #expect(v.sqrt().value == x.map(.sqrt))
        #expect(v.pow(3.3).value == x.map(.power, parameter: 3.3))
        #expect(v.reciprocal().value == x.map(.reciprocal))
        #expect(!v.exp().requiresGradient)
    }
}
