import Testing
import MetaTensor
import MetaRandom
import MetaNN

func moments(_ x: [Double]) -> (mean: Double, variance: Double) {
    let mean = x.reduce(0, +) / Double(x.count)
    return (mean, x.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(x.count))
}

@Suite struct InitializerTests {
    @Test func glorotUniformStaysWithinItsBoundAndFillsIt() {
        var s = RandomStream(seed: 1, purpose: .testing)
        let fanIn = 300, fanOut = 200
        let a = (6.0 / Double(fanIn + fanOut)).squareRoot()
        let t: Tensor<Double> = Initializer.glorotUniform.make([fanOut, fanIn], fanIn: fanIn, fanOut: fanOut, using: &s)
        #expect(t.shape == [200, 300])
        let x = t.scalars
        #expect(x.allSatisfy { abs($0) <= a })
        #expect(x.max()! > 0.999 * a && x.min()! < -0.999 * a)
        let (mean, variance) = moments(x)
        #expect(abs(mean) < 0.002)                          // σ(mean) ≈ 0.00026
        #expect(abs(variance / (a * a / 3) - 1) < 0.02)     // U(−a, a) has variance a²/3
    }

    @Test func heNormalHasStandardDeviationSqrtTwoOverFanIn() {
        var s = RandomStream(seed: 2, purpose: .testing)
        let t: Tensor<Double> = Initializer.heNormal.make([100_000], fanIn: 50, fanOut: 10, using: &s)
        let (mean, variance) = moments(t.scalars)
        let sd = (2.0 / 50).squareRoot()
        #expect(abs(mean) < 0.005)                          // σ(mean) ≈ 0.0006
        #expect(abs(variance.squareRoot() / sd - 1) < 0.02) // relative σ ≈ 0.002
    }

    @Test func otherSchemesHaveTheirDocumentedDistributions() {
        var s = RandomStream(seed: 3, purpose: .testing)
        let heU: Tensor<Double> = Initializer.heUniform.make([50_000], fanIn: 24, fanOut: 1, using: &s)
        #expect(heU.scalars.allSatisfy { abs($0) <= 0.5 })  // √(6/24)
        let lecun: Tensor<Double> = Initializer.lecunNormal.make([50_000], fanIn: 16, fanOut: 1, using: &s)
        #expect(abs(moments(lecun.scalars).variance.squareRoot() / 0.25 - 1) < 0.03)
        let truncated: Tensor<Double> = Initializer.truncatedNormal(standardDeviation: 0.1).make([50_000], fanIn: 1, fanOut: 1, using: &s)
        #expect(truncated.scalars.allSatisfy { abs($0) <= 0.2 })
        let u: Tensor<Float> = Initializer.uniform(low: 2, high: 3).make([1000], fanIn: 1, fanOut: 1, using: &s)
        #expect(u.scalars.allSatisfy { $0 >= 2 && $0 <= 3 })
        let z: Tensor<Float> = Initializer.zeros.make([2, 3], fanIn: 1, fanOut: 1, using: &s)
        let o: Tensor<Float> = Initializer.ones.make([2], fanIn: 1, fanOut: 1, using: &s)
        let c: Tensor<Double> = Initializer.constant(0.25).make([3], fanIn: 1, fanOut: 1, using: &s)
        #expect(z.scalars == [0, 0, 0, 0, 0, 0] && z.shape == [2, 3])
        #expect(o.scalars == [1, 1])
        #expect(c.scalars == [0.25, 0.25, 0.25])
    }

    @Test func constantSchemesDrawNothingFromTheStream() {
        var s = RandomStream(seed: 4, purpose: .testing)
        let _: Tensor<Float> = Initializer.zeros.make([10], fanIn: 1, fanOut: 1, using: &s)
        let _: Tensor<Float> = Initializer.constant(3).make([10], fanIn: 1, fanOut: 1, using: &s)
        #expect(s.position == 0)
        let _: Tensor<Float> = Initializer.glorotUniform.make([10], fanIn: 1, fanOut: 1, using: &s)
        #expect(s.position == 20)   // 64 bits per uniform draw
    }
}
