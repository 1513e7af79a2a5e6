import Testing
import MetaTensor
import MetaTestKit

/// The Float kernels agree with the Double kernels on the same (Float-representable) inputs
/// to Float precision: relative error ~1e-7 (unit roundoff 6e-8 times a small factor from the
/// accumulation order), checked at 1e-6 in the norm.
@Suite struct FloatDoubleAgreementTests {
    /// A Double tensor whose values are exactly representable in Float, and its Float twin.
    func pair(_ shape: [Int], seed: UInt64, low: Double = -1, high: Double = 1) -> (Tensor<Double>, Tensor<Float>) {
        let f = Tensor<Float>(converting: randomTensor(shape, seed: seed, low: low, high: high))
        return (Tensor<Double>(converting: f), f)
    }

    @Test(arguments: ConvCase.all)
    func conv2dAndItsBackwardPassesAgree(_ c: ConvCase) {
        let (xd, xf) = pair(c.inputShape, seed: 1), (wd, wf) = pair(c.filterShape, seed: 2)
        let (gd, gf) = pair(c.outputShape, seed: 3)
        let (s, p) = (c.stride, c.padding)
        #expect(Approximate.relativeError(Tensor.conv2d(xf, wf, stride: s, padding: p),
                                          Tensor.conv2d(xd, wd, stride: s, padding: p)) < 1e-6)
        #expect(Approximate.relativeError(Tensor.conv2dBackwardInput(gf, wf, inputShape: c.inputShape, stride: s, padding: p),
                                          Tensor.conv2dBackwardInput(gd, wd, inputShape: c.inputShape, stride: s, padding: p)) < 1e-6)
        #expect(Approximate.relativeError(Tensor.conv2dBackwardFilter(xf, gf, filterShape: c.filterShape, stride: s, padding: p),
                                          Tensor.conv2dBackwardFilter(xd, gd, filterShape: c.filterShape, stride: s, padding: p)) < 1e-6)
    }

    @Test(arguments: [false, true], [false, true])
    func matmulAgrees(transposeA: Bool, transposeB: Bool) {
        let (m, k, n) = (17, 64, 9)
        let (ad, af) = pair([3] + (transposeA ? [k, m] : [m, k]), seed: 4)
        let (bd, bf) = pair(transposeB ? [n, k] : [k, n], seed: 5)
        #expect(Approximate.relativeError(Tensor.matmul(af, bf, transposeA: transposeA, transposeB: transposeB),
                                          Tensor.matmul(ad, bd, transposeA: transposeA, transposeB: transposeB)) < 1e-6)
    }

    @Test func reductionsAgree() {
        let (xd, xf) = pair([4, 8, 14, 14], seed: 6)
        #expect(Approximate.relativeError(xf.sum(alongAxes: [0, 2, 3]), xd.sum(alongAxes: [0, 2, 3])) < 1e-6)
        #expect(Approximate.relativeError(xf.sum(toShape: [8, 1, 14]), xd.sum(toShape: [8, 1, 14])) < 1e-6)
        #expect(Approximate.relativeError(xf.mean(), xd.mean()) < 1e-6)
        #expect(xf.argmax(alongAxis: 1).indices == xd.argmax(alongAxis: 1).indices)
    }

    /// Float sums accumulate in Double: a million copies of 0.1f sum to the correctly rounded
    /// total (a Float accumulator would be off by about 1%).
    @Test func floatSumOfManyElementsIsAccumulatedInDouble() {
        let n = 1_000_000
        let x = Tensor<Float>(repeating: 0.1, shape: [n])
        let exact = Double(Float(0.1)) * Double(n)
        #expect(x.sum().scalar == Float(exact))
        let rows = x.reshaped([1000, 1000]).sum(alongAxes: [0])
        #expect(rows.scalars.allSatisfy { $0 == Float(Double(Float(0.1)) * 1000) })
    }

    @Test func elementwiseKernelsAgree() {
        let (ad, af) = pair([5, 7], seed: 7), (bd, bf) = pair([7], seed: 8, low: 0.5, high: 2)
        #expect(Approximate.relativeError(af / bf, ad / bd) < 1e-6)
        #expect(Approximate.relativeError(af.map(.tanh), ad.map(.tanh)) < 1e-6)
        #expect(Approximate.relativeError(af.map(.sigmoid), ad.map(.sigmoid)) < 1e-6)
        #expect(Approximate.relativeError(bf.map(.power, parameter: 3.3), bd.map(.power, parameter: 3.3)) < 1e-6)
    }
}
