import Testing
import MetaTensor
import MetaAutodiff
import MetaNN

/// First and second derivatives of the losses and distances in `Losses`, and their values on
/// small cases worked out by hand.
@Suite struct LossGradientTests {
    @Test func crossEntropyHasCorrectDerivatives() {
        let labels = [2, 0, 1, 2]
        expectCorrectDerivatives(of: { Losses.crossEntropy(logits: $0[0], labels: labels) },
                                 at: [randomTensor([4, 3], seed: 1, low: -3, high: 3)])
    }

    @Test func crossEntropyGradientIsSoftmaxMinusOneHotOverN() {
        let logits = randomTensor([3, 4], seed: 2, low: -3, high: 3), labels = [1, 3, 0]
        let g = gradient(of: { Losses.crossEntropy(logits: $0[0], labels: labels) }, at: [logits])[0]
        let p = Variable(logits).softmax(alongAxis: 1).value
        let want = (p - Tensor.oneHot(labels, classes: 4)) * (1.0 / 3)
        #expect(maxAbsDifference(g, want) < 1e-15 * 8)
    }

    @Test func crossEntropyOfHugeLogitsIsFinite() {
        let logits = Tensor<Double>(shape: [2, 3], scalars: [1000, 1001, 1002, -1002, -1001, -1000])
        let (value, grads) = valueWithGradient(at: [logits]) { Losses.crossEntropy(logits: $0[0], labels: [0, 0]) }
        let lse = Double.log(1 + Double.exp(1) + Double.exp(2))
        // Row 0 picks the smallest logit: loss lse − 0; row 1 picks −1002: loss lse − 0 too.
        #expect(Swift.abs(value.scalar - lse) < 1e-12)
        #expect(grads[0].value.scalars.allSatisfy { $0.isFinite })
    }

    @Test func meanSquaredErrorHasCorrectDerivatives() {
        expectCorrectDerivatives(of: { Losses.meanSquaredError($0[0], $0[1]) },
                                 at: [randomTensor([4, 2], seed: 3), randomTensor([4, 2], seed: 4)])
        let value = Losses.meanSquaredError(Variable(Tensor<Double>(shape: [2], scalars: [1, 2])),
                                            Variable(Tensor<Double>(shape: [2], scalars: [0, 4])))
        #expect(value.scalar == 2.5)
    }

    @Test func pairwiseSquaredDistancesHaveCorrectDerivatives() {
        expectCorrectDerivatives(of: { Losses.pairwiseSquaredDistances($0[0], $0[1]) },
                                 at: [randomTensor([3, 4], seed: 5), randomTensor([2, 4], seed: 6)])
        let d = Losses.pairwiseSquaredDistances(Variable(Tensor<Double>(shape: [2, 2], scalars: [0, 0, 1, 1])),
                                                Variable(Tensor<Double>(shape: [1, 2], scalars: [3, 4])))
        #expect(d.shape == [2, 1] && d.value.scalars == [25, 13])
    }

    @Test func cosineSimilarityHasCorrectDerivatives() {
        expectCorrectDerivatives(of: { Losses.cosineSimilarity($0[0], $0[1]) },
                                 at: [randomTensor([3, 4], seed: 7), randomTensor([2, 4], seed: 8)])
        let s = Losses.cosineSimilarity(Variable(Tensor<Double>(shape: [2, 2], scalars: [1, 0, 2, 2])),
                                        Variable(Tensor<Double>(shape: [1, 2], scalars: [0, 3])))
        #expect(Swift.abs(s.value.scalars[0]) < 1e-12 && Swift.abs(s.value.scalars[1] - 0.5.squareRoot()) < 1e-8)
    }

    @Test func gaussianLogLikelihoodHasCorrectDerivatives() {
        expectCorrectDerivatives(of: { Losses.gaussianLogLikelihood($0[0], mean: $0[1], logStd: $0[2]) },
                                 at: [randomTensor([3, 2], seed: 9), randomTensor([3, 2], seed: 10),
                                      randomTensor([3, 2], seed: 11, low: -0.5, high: 0.5)])
        // A broadcast mean and log-std (one per dimension), as a policy would use.
        expectCorrectDerivatives(of: { Losses.gaussianLogLikelihood($0[0], mean: $0[1], logStd: $0[2]) },
                                 at: [randomTensor([3, 2], seed: 12), randomTensor([2], seed: 13),
                                      randomTensor([2], seed: 14, low: -0.5, high: 0.5)])
    }

    @Test func gaussianLogLikelihoodMatchesTheDensity() {
        let x = 0.3, mu = -0.2, logStd = 0.4, sigma = Double.exp(0.4)
        let want = -0.5 * ((x - mu) / sigma) * ((x - mu) / sigma) - logStd - 0.5 * Double.log(2 * Double.pi)
        let got = Losses.gaussianLogLikelihood(Variable(Tensor<Double>(shape: [1, 1], scalars: [x])),
                                               mean: Variable(Tensor<Double>(shape: [1, 1], scalars: [mu])),
                                               logStd: Variable(Tensor<Double>(shape: [1, 1], scalars: [logStd])))
        #expect(got.shape == [1])
        #expect(Swift.abs(got.value.scalars[0] - want) < 1e-15)
    }
}
