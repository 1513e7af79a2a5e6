import Testing
import MetaTensor
import MetaAutodiff
import MetaNN
import MetaRandom

/// First and second derivatives of the layers (Dense, Conv2D, BatchNorm) with respect to their
/// input and every parameter, and of a whole inner-loop block built from them.
@Suite struct LayerGradientTests {
    /// The layer's initial parameters, each perturbed so that no derivative is trivially
    /// special (zero biases, unit scales): `value + U(−spread, spread)`.
    static func parameters(of layer: any Layer, seed: UInt64, spread: Double = 0.5) -> [(String, Tensor<Double>)] {
        var stream = RandomStream(seed: seed, purpose: .testing)
        let initial: [(String, Tensor<Double>)] = layer.initialParameters(using: &stream)
        return initial.enumerated().map { k, entry in
            (entry.0, entry.1 + randomTensor(entry.1.shape, seed: seed + 100 + UInt64(k), low: -spread, high: spread))
        }
    }

    /// `layer.apply` as a function of `[input] + parameters`.
    static func function(of layer: any Layer, names: [String]) -> ([Variable<Double>]) -> Variable<Double> {
        { v in layer.apply(Parameters(Array(zip(names, v.dropFirst()))), v[0]) }
    }

    static func expectLayerDerivatives(_ layer: any Layer, input: Tensor<Double>, seed: UInt64,
                                       sourceLocation: SourceLocation = #_sourceLocation) {
        let entries = parameters(of: layer, seed: seed)
        expectCorrectDerivatives(of: function(of: layer, names: entries.map(\.0)), at: [input] + entries.map(\.1),
                                 sourceLocation: sourceLocation)
    }

    @Test func denseLayerHasCorrectDerivatives() {
        let layer = Dense("fc", inputs: 3, outputs: 2)
        Self.expectLayerDerivatives(layer, input: randomTensor([4, 3], seed: 1), seed: 2)
        // Over the last axis of a batched input.
        Self.expectLayerDerivatives(layer, input: randomTensor([2, 2, 3], seed: 3), seed: 4)
    }

    @Test func denseLayerComputesXWTransposedPlusB() {
        let layer = Dense("fc", inputs: 2, outputs: 1)
        let p = Parameters([("fc.weight", Variable(Tensor<Double>(shape: [1, 2], scalars: [2, -1]))),
                            ("fc.bias", Variable(Tensor<Double>(shape: [1], scalars: [0.5])))])
        let y = layer.apply(p, Variable(Tensor<Double>(shape: [2, 2], scalars: [1, 1, 3, 4])))
        #expect(y.shape == [2, 1] && y.value.scalars == [1.5, 2.5])
    }

    @Test(arguments: [(1, 1), (2, 1), (1, 0)] as [(Int, Int)])
    func conv2dLayerHasCorrectDerivatives(stride: Int, padding: Int) {
        let layer = Conv2D("conv", inChannels: 2, outChannels: 3, kernelSize: 3, stride: stride, padding: padding)
        Self.expectLayerDerivatives(layer, input: randomTensor([2, 2, 5, 5], seed: 5), seed: 6)
    }

    @Test func batchNormOverNCHWHasCorrectDerivatives() {
        let layer = BatchNorm("norm", channels: 3)
        Self.expectLayerDerivatives(layer, input: randomTensor([3, 3, 2, 2], seed: 7, low: -2, high: 2), seed: 8)
    }

    @Test func batchNormOverFeaturesHasCorrectDerivatives() {
        let layer = BatchNorm("norm", channels: 4)
        Self.expectLayerDerivatives(layer, input: randomTensor([5, 4], seed: 9, low: -2, high: 2), seed: 10)
    }

    @Test func batchNormNormalisesEachChannel() {
        let layer = BatchNorm("norm", channels: 2)
        let entries: [(String, Tensor<Double>)] = { var s = RandomStream(seed: 0, purpose: .testing); return layer.initialParameters(using: &s) }()
        let y = layer.apply(Parameters(entries.map { ($0.0, Variable($0.1)) }),
                            Variable(randomTensor([4, 2, 3, 3], seed: 11, low: 3, high: 9))).value
        let mean = y.sum(alongAxes: [0, 2, 3]) * (1.0 / 36)
        let meanSquare = (y * y).sum(alongAxes: [0, 2, 3]) * (1.0 / 36)
        for c in 0..<2 {
            #expect(Swift.abs(mean[c]) < 1e-14)
            // Unit variance up to ε/(σ² + ε) with σ² ≈ 3 and ε = 1e-5.
            #expect(Swift.abs(meanSquare[c] - 1) < 1e-5)
        }
    }

    /// conv → batch norm → ReLU → max-pool → dense → cross-entropy: every op an inner loop
    /// passes through, differentiated twice as second-order MAML does.
    @Test func convolutionalBlockWithCrossEntropyHasCorrectDerivatives() {
        let conv = Conv2D("conv", inChannels: 1, outChannels: 2, kernelSize: 3, stride: 1, padding: 1)
        let norm = BatchNorm("norm", channels: 2)
        let head = Dense("head", inputs: 2 * 2 * 2, outputs: 3)
        let entries = Self.parameters(of: conv, seed: 12) + Self.parameters(of: norm, seed: 13) + Self.parameters(of: head, seed: 14)
        let names = entries.map(\.0)
        let labels = [0, 2, 1]
        let f: ([Variable<Double>]) -> Variable<Double> = { v in
            let p = Parameters(Array(zip(names, v.dropFirst())))
            let h = norm.apply(p, conv.apply(p, v[0])).relu().maxPool2d()
            return Losses.crossEntropy(logits: head.apply(p, h.reshaped([3, 8])), labels: labels)
        }
        let x = randomTensor([3, 1, 4, 4], seed: 15)
        // Keep the check honest: no pre-activation may sit within the finite-difference reach
        // of ReLU's kink, and no pooling window may hold a near-tie.
        let p0 = Parameters(Array(zip(names, entries.map { Variable($0.1) })))
        let pre = norm.apply(p0, conv.apply(p0, Variable(x))).value
        #expect(pre.scalars.allSatisfy { Swift.abs($0) > 1e-3 })
        let activated = pre.map(.relu)
        for plane in 0..<6 {
            for (i, j) in [(0, 0), (0, 2), (2, 0), (2, 2)] {
                let window = [(0, 0), (0, 1), (1, 0), (1, 1)]
                    .map { activated.scalars[plane * 16 + (i + $0.0) * 4 + j + $0.1] }.sorted(by: >)
                #expect(window[0] == 0 || window[0] - window[1] > 1e-3)
            }
        }
        expectCorrectDerivatives(of: f, at: [x] + entries.map(\.1))
    }
}
