import Testing
import Foundation
import MetaTensor
import MetaAutodiff
import MetaRandom
import MetaNN
import MetaTestKit

/// The meta-learner LSTM's second layer and its input coding.
@Suite struct MetaLearnerCellTests {
    @Test func preprocessingTakesTheLogBranchForLargeValuesAndTheLinearBranchForSmallOnes() {
        let p = 10.0
        for x in [0.5, -3.0, 1e-3, -123.0] {
            let (a, b) = GradientPreprocessing.code(x, exponent: p)
            #expect(Swift.abs(a - Foundation.log(Swift.abs(x)) / p) <= 1e-15 * Swift.abs(a), "\(x)")
            #expect(b == (x > 0 ? 1 : -1), "\(x)")
        }
        for x in [1e-6, -2e-5, 0.0, 4e-5] {
            let (a, b) = GradientPreprocessing.code(x, exponent: p)
            #expect(a == -1, "\(x)")
            #expect(Swift.abs(b - Foundation.exp(p) * x) <= 1e-15 * Swift.abs(b), "\(x)")
        }
    }

    @Test func preprocessingSwitchesBranchAtExpMinusPAndIsContinuousThere() {
        // p = 10 in Double: at the boundary the two formulas differ in the last bit
        // (e^10 · e^−10 rounds to 1 + 2^−52), so the branch taken is visible: |x| = e^−p takes
        // the log branch, the next value below the linear one.
        let p = 10.0
        let t = Double.exp(-p)
        let logBranch = (Double.log(t) / p, 1.0), linearBranch = (-1.0, Double.exp(p) * t)
        #expect(logBranch != linearBranch, "the boundary test needs formulas that differ at t")
        let at = GradientPreprocessing.code(t, exponent: p)
        #expect(at == logBranch)
        let below = GradientPreprocessing.code(t.nextDown, exponent: p)
        #expect(below == (-1.0, Double.exp(p) * t.nextDown))
        let negative = GradientPreprocessing.code(-t, exponent: p)
        #expect(negative == (Double.log(t) / p, -1.0))
        // Continuous: both sides are (−1, ±1) up to rounding.
        for (a, b) in [at, below] {
            #expect(Swift.abs(a + 1) < 1e-14 && Swift.abs(b - 1) < 1e-14)
        }
    }

    @Test func preprocessingOfATensorCodesEveryElementInOrder() {
        let x = Tensor<Float>(shape: [2, 2], scalars: [0.25, -1e-7, 7, 0])
        let coded = GradientPreprocessing.code(x)
        #expect(coded.shape == [4, 2])
        for (i, v) in x.scalars.enumerated() {
            let (a, b) = GradientPreprocessing.code(v, exponent: 10)
            #expect(coded[i, 0] == a && coded[i, 1] == b)
        }
    }

    static func cellPoint(_ cell: MetaLearnerCell, n: Int, seed: UInt64) -> (Parameters<Tensor<Double>>, [Tensor<Double>]) {
        var stream = RandomStream(seed: seed, purpose: .testing)
        var params = Parameters<Tensor<Double>>(cell.initialParameters(using: &stream))
        // Weights of order one and biases near zero, so the gates are far from saturation
        // and every term of the derivative is visible.
        params = params.mapWithNames { name, t in
            name.hasSuffix("Bias") ? t * 0.1 : stream.uniformTensor(t.shape, low: -1, high: 1)
        }
        let h: Tensor<Double> = stream.uniformTensor([n, cell.inputs], low: -1, high: 1)
        let c: Tensor<Double> = stream.uniformTensor([n, 1], low: -1, high: 1)
        let i: Tensor<Double> = stream.uniformTensor([n, 1], low: 0, high: 1)
        let f: Tensor<Double> = stream.uniformTensor([n, 1], low: 0, high: 1)
        let g: Tensor<Double> = stream.uniformTensor([n, 1], low: -1, high: 1)
        return (params, [h, c, i, f, g])
    }

    @Test func metaLearnerCellStepMatchesFiniteDifferencesToSecondOrder() {
        let cell = MetaLearnerCell("cell", inputs: 3)
        let (params, states) = Self.cellPoint(cell, n: 5, seed: 11)
        let f: GradientCheck.Function = { v in
            let p = Parameters(layout: params.layout, values: Array(v.prefix(4)))
            let s = cell.step(p, hidden: v[4], cell: v[5], previousInputGate: v[6], previousForgetGate: v[7], gradient: v[8])
            // Two steps, so the second sees the first's cell and gates through every input.
            let t = cell.step(p, hidden: v[4].tanh(), cell: s.cell, previousInputGate: s.inputGate,
                              previousForgetGate: s.forgetGate, gradient: v[8] * 0.5)
            return (t.cell * t.cell).sum() + (t.inputGate * s.forgetGate).sum()
        }
        let point = params.values + states
        var stream = RandomStream(seed: 12, purpose: .testing)
        let direction = point.map { t -> Tensor<Double> in stream.uniformTensor(t.shape, low: -1, high: 1) }
        #expect(GradientCheck.firstOrderError(of: f, at: point) < 1e-7)
        #expect(GradientCheck.secondOrderError(of: f, at: point, direction: direction) < 1e-6)
    }

    @Test func metaLearnerCellWithInputGateAlphaAndForgetGateOneIsAnSGDStep() {
        let c = Tensor<Float>(shape: [3, 1], scalars: [0.3, -1.7, 2.2])
        let g = Tensor<Float>(shape: [3, 1], scalars: [0.11, 0.013, -5])
        let alpha: Float = 0.01
        let updated = MetaLearnerCell.update(cell: Variable(c), inputGate: Variable(Tensor(repeating: alpha, shape: [3, 1])),
                                             forgetGate: Variable(Tensor(repeating: 1, shape: [3, 1])), gradient: Variable(g))
        #expect(updated.value.scalars == zip(c.scalars, g.scalars).map { $0 - $1 * alpha })
    }

    @Test func metaLearnerCellStartsCloseToGradientDescentWithASmallStep() {
        // The reference initialisation: b_F ~ U(4, 5), b_I ~ U(−5, −4), weights U(−0.01, 0.01).
        var stream = RandomStream(seed: 3, purpose: .testing)
        let p = Parameters<Tensor<Double>>(MetaLearnerCell("cell", inputs: 20).initialParameters(using: &stream))
        #expect((4...5).contains(p["cell.forgetGateBias"].scalar))
        #expect((-5 ... -4).contains(p["cell.inputGateBias"].scalar))
        for name in ["cell.inputGateWeight", "cell.forgetGateWeight"] {
            #expect(p[name].shape == [1, 22])
            #expect(p[name].scalars.allSatisfy { Swift.abs($0) <= 0.01 })
        }
    }
}
