import Testing
import MetaTensor
import MetaAutodiff
import MetaRandom
import MetaNN

@Suite struct ModelTests {
    @Test func omniglotFiveWayHas112261Parameters() {
        let p = ConvNet.omniglot(ways: 5).initialParameters(seed: 0, as: Float.self)
        #expect(p.scalarCount == 112_261)
        #expect(p.names.first == "block1.conv.weight")
        #expect(p.names.suffix(2) == ["head.weight", "head.bias"])
        #expect(p["block1.conv.weight"].shape == [64, 1, 3, 3])
        #expect(p["head.weight"].shape == [5, 64])
    }

    @Test func omniglotTwentyWayHas113236Parameters() {
        // The head grows from 64·5 + 5 to 64·20 + 20.
        #expect(ConvNet.omniglot(ways: 20).initialParameters(seed: 0, as: Float.self).scalarCount == 113_236)
    }

    @Test func omniglotForwardGivesOneLogitPerWay() {
        let net = ConvNet.omniglot(ways: 5)
        let p = net.initialParameters(seed: 1, as: Float.self).map { Variable($0) }
        var stream = RandomStream(seed: 1, purpose: .testing)
        let x: Tensor<Float> = stream.uniformTensor([3, 1, 28, 28])
        let y = net.apply(p, Variable(x))
        #expect(y.shape == [3, 5])
        #expect(y.value.scalars.allSatisfy { $0.isFinite })
    }

    @Test func miniImageNetForwardShapeIsBatchByWays() {
        let net = ConvNet.miniImageNet(ways: 5)
        let p = net.initialParameters(seed: 0, as: Float.self)
        // 32·3·9 + 32, three times 32·32·9 + 32, four batch norms of 2·32, head 800·5 + 5.
        #expect(p.scalarCount == 32_901)
        #expect(p["head.weight"].shape == [5, 800])
        var stream = RandomStream(seed: 2, purpose: .testing)
        let x: Tensor<Float> = stream.uniformTensor([2, 3, 84, 84])
        let y = net.apply(p.map { Variable($0) }, Variable(x))
        #expect(y.shape == [2, 5])
        #expect(y.value.scalars.allSatisfy { $0.isFinite })
    }

    @Test func sineMLPHas1761ParametersAndOneOutputPerInput() {
        let net = SineMLP()
        let p = net.initialParameters(seed: 0, as: Double.self)
        #expect(p.scalarCount == 1_761)   // (1·40 + 40) + (40·40 + 40) + (40·1 + 1)
        #expect(p.names == ["dense1.weight", "dense1.bias", "dense2.weight", "dense2.bias", "head.weight", "head.bias"])
        #expect(p.values.map(\.shape) == [[40, 1], [40], [40, 40], [40], [1, 40], [1]])
        for n in [1, 7] {
            let x = Tensor<Double>(shape: [n, 1], scalars: (0..<n).map { Double($0) - 3 })
            #expect(net.apply(p.map { Variable($0) }, Variable(x)).shape == [n, 1])
        }
    }

    @Test func initialParametersAreBitIdenticalForTheSameSeed() {
        let net = ConvNet.omniglot(ways: 5)
        let a = net.initialParameters(seed: 42, as: Float.self), b = net.initialParameters(seed: 42, as: Float.self)
        #expect(ParameterCoding.encode(a) == ParameterCoding.encode(b))
        let s1 = SineMLP().initialParameters(seed: 42, as: Double.self), s2 = SineMLP().initialParameters(seed: 42, as: Double.self)
        #expect(ParameterCoding.encode(s1) == ParameterCoding.encode(s2))
    }

    @Test func initialParametersDifferForAnotherSeed() {
        let net = SineMLP()
        let a = net.initialParameters(seed: 1, as: Double.self), b = net.initialParameters(seed: 2, as: Double.self)
        #expect(a["dense1.weight"] != b["dense1.weight"])
        #expect(a["dense2.weight"] != b["dense2.weight"])
        #expect(a["dense1.bias"] == b["dense1.bias"])   // zeros regardless of seed
    }

    @Test func floatInitialParametersAreTheDoubleOnesRounded() {
        // Draws are made in Double and converted, so the precisions start from the same point.
        let net = SineMLP()
        let f = net.initialParameters(seed: 9, as: Float.self), d = net.initialParameters(seed: 9, as: Double.self)
        #expect(f == d.map { $0.converted(to: Float.self) })
    }
}
