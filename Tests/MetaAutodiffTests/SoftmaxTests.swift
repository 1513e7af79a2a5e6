import Testing
import MetaTensor
import MetaAutodiff

/// softmax, logSoftmax and logSumExp: stable values for huge logits, and correct first and
/// second derivatives (the detached maximum must not change any derivative).
@Suite struct SoftmaxTests {
    /// log(e⁰ + e¹ + e²) computed in closed form.
    static let lse012 = Double.log(1 + Double.exp(1) + Double.exp(2))

    @Test func logSoftmaxOfHugeLogitsIsFiniteAndExact() {
        for shift in [1000.0, -1000, 0] {
            let logits = Variable(Tensor<Double>(shape: [1, 3], scalars: [0 + shift, 1 + shift, 2 + shift]))
            let got = logits.logSoftmax().value.scalars
            let want = [0 - Self.lse012, 1 - Self.lse012, 2 - Self.lse012]
            for (g, w) in zip(got, want) {
                #expect(g.isFinite)
                // Subtracting the shift costs the ulp of 1000 (1.1e-13) at most.
                #expect(Swift.abs(g - w) < 1e-12, "logSoftmax at shift \(shift): \(got)")
            }
            let lse = logits.logSumExp(alongAxis: 1).value
            #expect(lse.shape == [1])
            #expect(Swift.abs(lse.scalars[0] - (shift + Self.lse012)) < 1e-12)
        }
    }

    @Test func softmaxOfHugeLogitsIsFiniteAndSumsToOne() {
        let logits = Variable(Tensor<Double>(shape: [2, 3], scalars: [1000, 1001, 1002, -1000, -1001, -1002]))
        let p = logits.softmax().value
        let z = 1 + Double.exp(1) + Double.exp(2)
        let want = [1 / z, Double.exp(1) / z, Double.exp(2) / z]
        #expect(p.scalars.allSatisfy { $0.isFinite })
        for j in 0..<3 {
            #expect(Swift.abs(p[0, j] - want[j]) < 1e-12)
            #expect(Swift.abs(p[1, j] - want[2 - j]) < 1e-12)
        }
        // softmax is exp(x − logΣexp x): the log-probabilities carry the rounding of numbers
        // near 1000 (ulp 1.1e-13), so the probabilities are exact to a few 1e-13 relative.
        for row in p.sum(alongAxes: [1]).scalars { #expect(Swift.abs(row - 1) < 1e-12) }
    }

    @Test func floatLogSoftmaxOfHugeLogitsIsFinite() {
        let logits = Variable(Tensor<Float>(shape: [3], scalars: [1000, 1001, 1002]))
        let got = logits.logSoftmax().value.scalars
        let want = [0 - Self.lse012, 1 - Self.lse012, 2 - Self.lse012]
        for (g, w) in zip(got, want) {
            #expect(g.isFinite)
            // The ulp of 1000 in Float is 6e-5.
            #expect(Swift.abs(Double(g) - w) < 2e-4)
        }
    }

    @Test func softmaxAlongTheFirstAxisNormalisesColumns() {
        let x = Variable(randomTensor([3, 4], seed: 1, low: -5, high: 5))
        let p = x.softmax(alongAxis: 0).value.sum(alongAxes: [0])
        #expect(p.scalars.allSatisfy { Swift.abs($0 - 1) < 1e-15 * 4 })
    }

    @Test(arguments: [-1, 0])
    func logSoftmaxHasCorrectDerivatives(axis: Int) {
        expectCorrectDerivatives(of: { $0[0].logSoftmax(alongAxis: axis) }, at: [randomTensor([3, 4], seed: 2, low: -3, high: 3)])
    }

    @Test(arguments: [-1, 0])
    func softmaxHasCorrectDerivatives(axis: Int) {
        expectCorrectDerivatives(of: { $0[0].softmax(alongAxis: axis) }, at: [randomTensor([3, 4], seed: 3, low: -3, high: 3)])
    }

    @Test func logSumExpHasCorrectDerivatives() {
        let x = randomTensor([2, 3, 2], seed: 4, low: -3, high: 3)
        expectCorrectDerivatives(of: { $0[0].logSumExp(alongAxis: 1) }, at: [x])
        expectCorrectDerivatives(of: { $0[0].logSumExp(alongAxis: -1, keepingDimensions: true) }, at: [x])
    }

    @Test func logSoftmaxOfHugeLogitsHasCorrectDerivatives() {
        // Around 1000 a step of 1e-6 is still resolved to ~1e-7 relative (ulp of 1000 is
        // 1.1e-13), well inside the default tolerances.
        let x = randomTensor([2, 3], seed: 5, low: -2, high: 2).map(.shift, parameter: 1000)
        expectCorrectDerivatives(of: { $0[0].logSoftmax() }, at: [x])
    }

    @Test func softmaxGradientIsTheJacobianTimesTheCotangent() {
        // ∂/∂x Σ w ⊙ softmax(x) = p ⊙ (w − ⟨p, w⟩) for one row.
        let x = randomTensor([4], seed: 6), w = randomTensor([4], seed: 7)
        let g = gradient(of: { ($0[0].softmax() * Variable(w)).sum() }, at: [x])[0]
        let p = Variable(x).softmax().value
        let pw = innerProduct(p, w)
        let want = p * (w - Tensor(pw))
        #expect(maxAbsDifference(g, want) < 1e-15 * 8)
    }
}
