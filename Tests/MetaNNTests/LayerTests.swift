import Testing
import MetaTensor
import MetaAutodiff
import MetaRandom
import MetaNN

func constants<S: TensorScalar>(_ entries: [(String, Tensor<S>)]) -> Parameters<Variable<S>> {
    Parameters(entries).map { Variable($0) }
}

@Suite struct LayerTests {
    @Test func denseComputesXWTransposePlusBias() {
        let dense = Dense("fc", inputs: 3, outputs: 2)
        let p = constants([("fc.weight", Tensor<Double>(shape: [2, 3], scalars: [1, 2, 3, -1, 0, 2])),
                           ("fc.bias", Tensor<Double>(shape: [2], scalars: [0.5, -1]))])
        let x = Tensor<Double>(shape: [2, 3], scalars: [1, 0, -1, 2, 3, 4])
        let y = dense.apply(p, Variable(x))
        // Row 1: (1·1 + 0·2 − 1·3) + 0.5 = −1.5,  (−1 + 0 − 2) − 1 = −4
        // Row 2: (2 + 6 + 12) + 0.5 = 20.5,        (−2 + 0 + 8) − 1 = 5
        #expect(y.shape == [2, 2])
        #expect(y.value.scalars == [-1.5, -4, 20.5, 5])
    }

    @Test func denseInitialParametersAreNamedAndShapedLikePyTorch() {
        var s = RandomStream(seed: 0, purpose: .initialization)
        let entries: [(String, Tensor<Float>)] = Dense("fc", inputs: 3, outputs: 2).initialParameters(using: &s)
        #expect(entries.map(\.0) == ["fc.weight", "fc.bias"])
        #expect(entries.map(\.1.shape) == [[2, 3], [2]])
        #expect(entries[1].1.scalars == [0, 0])
    }

    @Test func conv2dIsCrossCorrelationWithBias() {
        // 3×3 input 1…9, 2×2 kernel [[1, 2], [3, 4]], no padding, stride 1:
        // out(0,0) = 1 + 4 + 12 + 20 = 37, (0,1) = 47, (1,0) = 67, (1,1) = 77; plus 0.5.
        let conv = Conv2D("c", inChannels: 1, outChannels: 1, kernelSize: 2, stride: 1, padding: 0)
        let p = constants([("c.weight", Tensor<Double>(shape: [1, 1, 2, 2], scalars: [1, 2, 3, 4])),
                           ("c.bias", Tensor<Double>(shape: [1], scalars: [0.5]))])
        let x = Tensor<Double>(shape: [1, 1, 3, 3], scalars: (1...9).map(Double.init))
        let y = conv.apply(p, Variable(x))
        #expect(y.shape == [1, 1, 2, 2])
        #expect(y.value.scalars == [37.5, 47.5, 67.5, 77.5])
    }

    @Test func conv2dWithPaddingStrideBatchAndChannels() {
        // 3×3 kernel, padding 1, stride 2 on 3×3: four outputs, each the sum of a 2×2 corner
        // block. Channel 0 uses ones (+0), channel 1 twos (−1). The second batch item is ×10.
        let conv = Conv2D("c", inChannels: 1, outChannels: 2, kernelSize: 3, stride: 2, padding: 1)
        let p = constants([("c.weight", Tensor<Float>(shape: [2, 1, 3, 3], scalars: Array(repeating: 1, count: 9) + Array(repeating: 2, count: 9))),
                           ("c.bias", Tensor<Float>(shape: [2], scalars: [0, -1]))])
        let image: [Float] = (1...9).map(Float.init)
        let x = Tensor<Float>(shape: [2, 1, 3, 3], scalars: image + image.map { $0 * 10 })
        let y = conv.apply(p, Variable(x))
        #expect(y.shape == [2, 2, 2, 2])
        #expect(y.value.scalars == [12, 16, 24, 28,  23, 31, 47, 55,
                                    120, 160, 240, 280,  239, 319, 479, 559])
    }

    @Test func batchNormOfTwoValuesIsMinusOneAndOne() {
        // x = (1, 3) in one channel: mean 2, biased variance 1, so y = ∓1/√(1 + ε).
        let bn = BatchNorm("bn", channels: 1, epsilon: 0)
        let p = constants([("bn.scale", Tensor<Double>(shape: [1], scalars: [1])), ("bn.offset", Tensor<Double>(shape: [1], scalars: [0]))])
        #expect(bn.apply(p, Variable(Tensor<Double>(shape: [2, 1], scalars: [1, 3]))).value.scalars == [-1, 1])
        let bnEps = BatchNorm("bn", channels: 1, epsilon: 0.5)
        let y = bnEps.apply(p, Variable(Tensor<Double>(shape: [2, 1], scalars: [1, 3]))).value.scalars
        #expect(abs(y[1] - 1 / 1.5.squareRoot()) < 1e-15 && y[0] == -y[1])
    }

    @Test func batchNormNormalisesEachChannelToZeroMeanUnitVariance() {
        // [n 4, c 3, h 5, w 5]; channel c has mean 5c − 3 and scale 10^(c−1).
        var s = RandomStream(seed: 5, purpose: .testing)
        let n = 4, c = 3, hw = 25
        var values = [Double](repeating: 0, count: n * c * hw)
        for b in 0..<n { for ch in 0..<c { for i in 0..<hw {
            values[(b * c + ch) * hw + i] = Double(5 * ch - 3) + Double.pow(10, Double(ch - 1)) * s.normal()
        } } }
        let x = Tensor<Double>(shape: [n, c, 5, 5], scalars: values)
        let bn = BatchNorm("bn", channels: c)
        var entries: [(String, Tensor<Double>)] = []
        for (name, t) in bn.initialParameters(using: &s) as [(String, Tensor<Double>)] { entries.append((name, t)) }
        #expect(entries.map(\.1.scalars) == [[1, 1, 1], [0, 0, 0]])

        func channelMoments(_ y: [Double], _ ch: Int) -> (Double, Double) {
            var xs: [Double] = []
            for b in 0..<n { xs += y[((b * c + ch) * hw)..<((b * c + ch) * hw + hw)] }
            return moments(xs)
        }
        let y = bn.apply(constants(entries), Variable(x)).value.scalars
        for ch in 0..<c {
            let (mean, variance) = channelMoments(y, ch)
            #expect(abs(mean) < 1e-12)
            #expect(abs(variance - 1) < 2e-3)   // σ²/(σ² + 1e-5) for σ ≥ 0.1
        }
        // With scale γ and offset β the channel moments become β and γ².
        let gamma: [Double] = [2, 0.5, 3], beta: [Double] = [1, -1, 0.25]
        let affine = constants([("bn.scale", Tensor(shape: [3], scalars: gamma)), ("bn.offset", Tensor(shape: [3], scalars: beta))])
        let z = bn.apply(affine, Variable(x)).value.scalars
        for ch in 0..<c {
            let (mean, variance) = channelMoments(z, ch)
            #expect(abs(mean - beta[ch]) < 1e-12)
            #expect(abs(variance / (gamma[ch] * gamma[ch]) - 1) < 2e-3)
        }
    }

    @Test func batchNormInFloatIsStableForLargeMeans() {
        // Two-pass variance: a channel around 10⁴ with spread 1 still normalises in Float.
        var s = RandomStream(seed: 6, purpose: .testing)
        let x: Tensor<Float> = s.normalTensor([64, 1], mean: 10_000, standardDeviation: 1)
        let bn = BatchNorm("bn", channels: 1)
        let p = constants([("bn.scale", Tensor<Float>(shape: [1], scalars: [1])), ("bn.offset", Tensor<Float>(shape: [1], scalars: [0]))])
        let (mean, variance) = moments(bn.apply(p, Variable(x)).value.scalars.map(Double.init))
        #expect(abs(mean) < 1e-3)
        #expect(abs(variance - 1) < 1e-2)
    }
}
