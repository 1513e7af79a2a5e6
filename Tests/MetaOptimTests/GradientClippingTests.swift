import Testing
import MetaTensor
import MetaNN
import MetaOptim

@Suite struct GradientClippingTests {
    /// Elements 3, 4 and 12 (spread over tensors): global norm √(9 + 16 + 144) = 13.
    static func gradients<S: TensorScalar>(_: S.Type) -> Parameters<Tensor<S>> {
        Parameters([("a", Tensor(shape: [2], scalars: [3, 0])), ("b", Tensor(shape: [1, 2], scalars: [-4, 12]))])
    }

    @Test func globalNormIsTheL2NormOverAllTensors() {
        #expect(GradientClipping.globalNorm(Self.gradients(Double.self)) == 13)
        #expect(GradientClipping.globalNorm(Self.gradients(Float.self)) == 13)
    }

    @Test func globalNormOfFloatGradientsIsAccumulatedInDouble() {
        // 10⁶ elements of 1e-3 · (1 + 2⁻²⁰): a Float accumulator would lose the small part.
        let value = Float(1e-3) * (1 + 0x1p-20)
        let g = Parameters([("w", Tensor<Float>(repeating: value, shape: [1000, 1000]))])
        let exact = (Double(value) * Double(value) * 1e6).squareRoot()
        // A Float accumulator would be off by ~1e-4 relative; Double summation rounding is ~1e-11.
        #expect(abs(GradientClipping.globalNorm(g) - exact) / exact < 1e-9)
    }

    @Test func clippingScalesTheGlobalNormToExactlyMaxNorm() {
        let (clipped, norm) = GradientClipping.byGlobalNorm(Self.gradients(Double.self), maxNorm: 6.5)
        #expect(norm == 13)
        #expect(abs(GradientClipping.globalNorm(clipped) - 6.5) < 1e-12)
        #expect(clipped["a"].scalars == [1.5, 0])
        #expect(clipped["b"].scalars == [-2, 6])
        #expect(clipped["b"].shape == [1, 2])

        let (clippedF, _) = GradientClipping.byGlobalNorm(Self.gradients(Float.self), maxNorm: 1)
        #expect(abs(GradientClipping.globalNorm(clippedF) - 1) < 1e-6)
        // Direction is preserved: every element scaled by the same factor 1/13.
        #expect(zip(clippedF.values.flatMap(\.scalars), [3, 0, -4, 12] as [Float]).allSatisfy { abs($0 - $1 / 13) < 1e-7 })
    }

    @Test func gradientsWithinMaxNormAreReturnedUnchanged() {
        let g = Self.gradients(Double.self)
        for maxNorm in [13.0, 13.5, 1e9] {
            let (clipped, norm) = GradientClipping.byGlobalNorm(g, maxNorm: maxNorm)
            #expect(norm == 13)
            #expect(clipped == g)
            #expect(zip(clipped.values, g.values).allSatisfy { $0.sharesStorage(with: $1) })
        }
    }

    @Test func nonFiniteNormLeavesGradientsUnchangedAndReportsIt() {
        let g = Parameters([("w", Tensor<Double>(shape: [2], scalars: [.nan, 1]))])
        let (clipped, norm) = GradientClipping.byGlobalNorm(g, maxNorm: 1)
        #expect(norm.isNaN)
        #expect(clipped["w"].scalars[1] == 1 && clipped["w"].scalars[0].isNaN)
        let inf = Parameters([("w", Tensor<Float>(shape: [2], scalars: [.infinity, 1]))])
        #expect(GradientClipping.byGlobalNorm(inf, maxNorm: 1).norm == .infinity)
    }

    @Test func valueClippingClampsEachElementToTheLimit() {
        let g = Parameters([("a", Tensor<Float>(shape: [5], scalars: [-3, -0.5, 0, 0.5, 3])),
                            ("b", Tensor<Float>(shape: [], scalars: [-1]))])
        let clipped = GradientClipping.byValue(g, limit: 1)
        #expect(clipped["a"].scalars == [-1, -0.5, 0, 0.5, 1])
        #expect(clipped["a"].shape == [5])
        #expect(clipped["b"].scalars == [-1])
        #expect(clipped["b"].shape == [])
        #expect(clipped.names == g.names)
    }

    @Test func valueClippingKeepsNaNVisible() {
        let g = Parameters([("a", Tensor<Double>(shape: [3], scalars: [.nan, 5, -.infinity]))])
        let clipped = GradientClipping.byValue(g, limit: 2)["a"].scalars
        #expect(clipped[0].isNaN)
        #expect(clipped[1] == 2)
        #expect(clipped[2] == -2)
    }
}
