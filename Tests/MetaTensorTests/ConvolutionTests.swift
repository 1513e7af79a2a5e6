import Testing
import MetaTensor
import MetaTestKit

/// One convolution configuration: input `[batch, channels, height, width]`, filter
/// `[outChannels, channels, kernelHeight, kernelWidth]`.
struct ConvCase: Sendable, CustomTestStringConvertible {
    var batch: Int, channels: Int, height: Int, width: Int
    var outChannels: Int, kernelHeight: Int, kernelWidth: Int, stride: Int, padding: Int

    var inputShape: [Int] { [batch, channels, height, width] }
    var filterShape: [Int] { [outChannels, channels, kernelHeight, kernelWidth] }
    var outHeight: Int { (height + 2 * padding - kernelHeight) / stride + 1 }
    var outWidth: Int { (width + 2 * padding - kernelWidth) / stride + 1 }
    var outputShape: [Int] { [batch, outChannels, outHeight, outWidth] }
    var testDescription: String {
        "x \(inputShape) w \(filterShape) stride \(stride) padding \(padding)"
    }

    static let all: [ConvCase] = [
        // 1×1 channel, no padding.
        ConvCase(batch: 1, channels: 1, height: 5, width: 5, outChannels: 1, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 0),
        // Several channels and a batch, "same" padding.
        ConvCase(batch: 2, channels: 3, height: 7, width: 6, outChannels: 4, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1),
        // The Omniglot block: stride 2, padding 1 on 28×28.
        ConvCase(batch: 2, channels: 2, height: 28, width: 28, outChannels: 3, kernelHeight: 3, kernelWidth: 3, stride: 2, padding: 1),
        // Odd sizes where the stride does not divide (floor).
        ConvCase(batch: 2, channels: 2, height: 7, width: 9, outChannels: 2, kernelHeight: 3, kernelWidth: 3, stride: 2, padding: 0),
        ConvCase(batch: 3, channels: 1, height: 8, width: 5, outChannels: 2, kernelHeight: 2, kernelWidth: 3, stride: 3, padding: 1),
        // 1×1 kernel, and a kernel as large as the padded input.
        ConvCase(batch: 1, channels: 3, height: 4, width: 4, outChannels: 5, kernelHeight: 1, kernelWidth: 1, stride: 1, padding: 0),
        ConvCase(batch: 2, channels: 2, height: 3, width: 3, outChannels: 2, kernelHeight: 5, kernelWidth: 5, stride: 1, padding: 1),
        // Padding wider than half the kernel.
        ConvCase(batch: 1, channels: 2, height: 5, width: 4, outChannels: 3, kernelHeight: 3, kernelWidth: 2, stride: 2, padding: 2),
    ]
}

/// `conv2d`, `conv2dBackwardInput` and `conv2dBackwardFilter` against loops over the
/// definition (cross-correlation with zero padding), and against each other as adjoints.
@Suite struct ConvolutionTests {
    /// Calls `body(n, o, i, j, c, ki, kj, inputFlat)` for every tap that reads inside the input.
    static func forEachTap(_ c: ConvCase, _ body: (_ out: Int, _ filter: Int, _ input: Int) -> Void) {
        for n in 0..<c.batch {
            for o in 0..<c.outChannels {
                for i in 0..<c.outHeight {
                    for j in 0..<c.outWidth {
                        let out = ((n * c.outChannels + o) * c.outHeight + i) * c.outWidth + j
                        for ch in 0..<c.channels {
                            for ki in 0..<c.kernelHeight {
                                for kj in 0..<c.kernelWidth {
                                    let ih = i * c.stride - c.padding + ki, iw = j * c.stride - c.padding + kj
                                    guard ih >= 0, ih < c.height, iw >= 0, iw < c.width else { continue }
                                    let filter = ((o * c.channels + ch) * c.kernelHeight + ki) * c.kernelWidth + kj
                                    let input = ((n * c.channels + ch) * c.height + ih) * c.width + iw
                                    body(out, filter, input)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    static func referenceConv(_ c: ConvCase, _ x: Tensor<Double>, _ w: Tensor<Double>) -> Tensor<Double> {
        let xv = x.scalars, wv = w.scalars
        var y = [Double](repeating: 0, count: c.outputShape.reduce(1, *))
        forEachTap(c) { out, filter, input in y[out] += xv[input] * wv[filter] }
        return Tensor(shape: c.outputShape, scalars: y)
    }

    static func referenceBackwardInput(_ c: ConvCase, _ dy: Tensor<Double>, _ w: Tensor<Double>) -> Tensor<Double> {
        let gv = dy.scalars, wv = w.scalars
        var dx = [Double](repeating: 0, count: c.inputShape.reduce(1, *))
        forEachTap(c) { out, filter, input in dx[input] += gv[out] * wv[filter] }
        return Tensor(shape: c.inputShape, scalars: dx)
    }

    static func referenceBackwardFilter(_ c: ConvCase, _ x: Tensor<Double>, _ dy: Tensor<Double>) -> Tensor<Double> {
        let xv = x.scalars, gv = dy.scalars
        var dw = [Double](repeating: 0, count: c.filterShape.reduce(1, *))
        forEachTap(c) { out, filter, input in dw[filter] += xv[input] * gv[out] }
        return Tensor(shape: c.filterShape, scalars: dw)
    }

    @Test(arguments: ConvCase.all)
    func conv2dMatchesDirectLoops(_ c: ConvCase) {
        let x = randomTensor(c.inputShape, seed: 1), w = randomTensor(c.filterShape, seed: 2)
        let y = Tensor.conv2d(x, w, stride: c.stride, padding: c.padding)
        #expect(y.shape == c.outputShape)
        guard y.shape == c.outputShape else { return }
        #expect(Approximate.relativeError(y, Self.referenceConv(c, x, w)) < 1e-14)
    }

    @Test(arguments: ConvCase.all)
    func conv2dBackwardInputMatchesDirectLoops(_ c: ConvCase) {
        let dy = randomTensor(c.outputShape, seed: 3), w = randomTensor(c.filterShape, seed: 4)
        let dx = Tensor.conv2dBackwardInput(dy, w, inputShape: c.inputShape, stride: c.stride, padding: c.padding)
        #expect(dx.shape == c.inputShape)
        guard dx.shape == c.inputShape else { return }
        #expect(Approximate.relativeError(dx, Self.referenceBackwardInput(c, dy, w)) < 1e-14)
    }

    @Test(arguments: ConvCase.all)
    func conv2dBackwardFilterMatchesDirectLoops(_ c: ConvCase) {
        let x = randomTensor(c.inputShape, seed: 5), dy = randomTensor(c.outputShape, seed: 6)
        let dw = Tensor.conv2dBackwardFilter(x, dy, filterShape: c.filterShape, stride: c.stride, padding: c.padding)
        #expect(dw.shape == c.filterShape)
        guard dw.shape == c.filterShape else { return }
        #expect(Approximate.relativeError(dw, Self.referenceBackwardFilter(c, x, dy)) < 1e-14)
    }

    /// ⟨conv(x, w), g⟩ = ⟨x, convᵀₓ(g, w)⟩ = ⟨w, convᵀ_w(x, g)⟩: both backward passes are
    /// the adjoints of the forward pass in their argument.
    @Test(arguments: ConvCase.all)
    func conv2dBackwardPassesAreAdjointsOfConv2d(_ c: ConvCase) {
        let x = randomTensor(c.inputShape, seed: 7), w = randomTensor(c.filterShape, seed: 8)
        let g = randomTensor(c.outputShape, seed: 9)
        let forward = innerProduct(Tensor.conv2d(x, w, stride: c.stride, padding: c.padding), g)
        let viaInput = innerProduct(x, Tensor.conv2dBackwardInput(g, w, inputShape: c.inputShape,
                                                                   stride: c.stride, padding: c.padding))
        let viaFilter = innerProduct(w, Tensor.conv2dBackwardFilter(x, g, filterShape: c.filterShape,
                                                                     stride: c.stride, padding: c.padding))
        let scale = max(abs(forward), 1)
        #expect(abs(forward - viaInput) / scale < 1e-12)
        #expect(abs(forward - viaFilter) / scale < 1e-12)
    }

    @Test func singleTapFilterShiftsTheImage() {
        // A 3×3 filter with one 1 at (0, 0) and padding 1 reads x[i − 1, j − 1].
        let x = randomTensor([1, 1, 4, 5], seed: 10)
        var taps = [Double](repeating: 0, count: 9); taps[0] = 1
        let y = Tensor.conv2d(x, Tensor(shape: [1, 1, 3, 3], scalars: taps), stride: 1, padding: 1)
        for i in 0..<4 {
            for j in 0..<5 {
                #expect(y[0, 0, i, j] == (i >= 1 && j >= 1 ? x[0, 0, i - 1, j - 1] : 0))
            }
        }
    }

    @Test func geometryReportsOutputSizesAndCounts() throws {
        let g = try Tensor<Double>.convolutionGeometry([5, 1, 28, 28], [64, 1, 3, 3], stride: 2, padding: 1)
        #expect(g.outputShape == [5, 64, 14, 14])
        #expect(g.patchSize == 9)
        #expect(g.columnCount == 5 * 14 * 14)
        #expect(g.forwardFLOPs == 2 * 64 * 9 * 5 * 14 * 14)
        let odd = try Tensor<Double>.convolutionGeometry([1, 2, 7, 9], [3, 2, 3, 3], stride: 2, padding: 0)
        #expect(odd.outputShape == [1, 3, 3, 4])
    }
}
