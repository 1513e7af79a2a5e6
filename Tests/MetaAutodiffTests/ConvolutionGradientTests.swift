import Testing
import MetaTensor
import MetaAutodiff

/// A small convolution configuration for gradient checks (finite differences cost two
/// evaluations per input element, so the shapes stay small).
struct ConvGradientCase: Sendable, CustomTestStringConvertible {
    var input: [Int], filter: [Int], stride: Int, padding: Int
    var testDescription: String { "x \(input) w \(filter) stride \(stride) padding \(padding)" }
    var outputShape: [Int] {
        [input[0], filter[0], (input[2] + 2 * padding - filter[2]) / stride + 1, (input[3] + 2 * padding - filter[3]) / stride + 1]
    }

    static let all: [ConvGradientCase] = [
        ConvGradientCase(input: [1, 1, 4, 4], filter: [1, 1, 3, 3], stride: 1, padding: 0),
        ConvGradientCase(input: [2, 2, 4, 5], filter: [3, 2, 3, 3], stride: 1, padding: 1),
        // Stride 2, padding 1 (the Omniglot block) on an odd size.
        ConvGradientCase(input: [2, 2, 5, 5], filter: [2, 2, 3, 3], stride: 2, padding: 1),
        // Stride that leaves the last row and column unread.
        ConvGradientCase(input: [1, 2, 6, 5], filter: [2, 2, 2, 3], stride: 3, padding: 0),
        ConvGradientCase(input: [2, 3, 3, 3], filter: [2, 3, 1, 1], stride: 1, padding: 0),
        ConvGradientCase(input: [1, 1, 3, 4], filter: [2, 1, 3, 3], stride: 2, padding: 2),
    ]
}

/// First and second derivatives of `conv2d` and of its two backward passes, which are
/// primitives of their own (their rules are what second-order MAML differentiates).
@Suite struct ConvolutionGradientTests {
    @Test(arguments: ConvGradientCase.all)
    func conv2dHasCorrectDerivatives(_ c: ConvGradientCase) {
        expectCorrectDerivatives(of: { Variable.conv2d($0[0], $0[1], stride: c.stride, padding: c.padding) },
                                 at: [randomTensor(c.input, seed: 1), randomTensor(c.filter, seed: 2)])
    }

    @Test(arguments: ConvGradientCase.all)
    func conv2dBackwardInputPrimitiveHasCorrectDerivatives(_ c: ConvGradientCase) {
        let primitive = Primitive<Double>.conv2dBackwardInput(inputShape: c.input, stride: c.stride, padding: c.padding)
        expectCorrectDerivatives(of: { Variable.apply(primitive, [$0[0], $0[1]]) },
                                 at: [randomTensor(c.outputShape, seed: 3), randomTensor(c.filter, seed: 4)])
    }

    @Test(arguments: ConvGradientCase.all)
    func conv2dBackwardFilterPrimitiveHasCorrectDerivatives(_ c: ConvGradientCase) {
        let primitive = Primitive<Double>.conv2dBackwardFilter(filterShape: c.filter, stride: c.stride, padding: c.padding)
        expectCorrectDerivatives(of: { Variable.apply(primitive, [$0[0], $0[1]]) },
                                 at: [randomTensor(c.input, seed: 5), randomTensor(c.outputShape, seed: 6)])
    }

    @Test func convolutionGradientsMatchTheBackwardKernels() {
        let c = ConvGradientCase.all[2]
        let x = randomTensor(c.input, seed: 7), w = randomTensor(c.filter, seed: 8), g = randomTensor(c.outputShape, seed: 9)
        let xv = Variable(differentiable: x), wv = Variable(differentiable: w)
        let y = Variable.conv2d(xv, wv, stride: c.stride, padding: c.padding)
        let grads = gradients(of: y, withRespectTo: [xv, wv], seed: Variable(g))
        #expect(grads[0].value == Tensor.conv2dBackwardInput(g, w, inputShape: c.input, stride: c.stride, padding: c.padding))
        #expect(grads[1].value == Tensor.conv2dBackwardFilter(x, g, filterShape: c.filter, stride: c.stride, padding: c.padding))
    }

    @Test func convolutionWithConstantFilterDifferentiatesTheInputOnly() {
        let c = ConvGradientCase.all[1]
        let w = Variable(randomTensor(c.filter, seed: 10))
        expectCorrectDerivatives(of: { Variable.conv2d($0[0], w, stride: c.stride, padding: c.padding).tanh() },
                                 at: [randomTensor(c.input, seed: 11)])
        let x = Variable(randomTensor(c.input, seed: 12))
        expectCorrectDerivatives(of: { Variable.conv2d(x, $0[0], stride: c.stride, padding: c.padding).tanh() },
                                 at: [randomTensor(c.filter, seed: 13)])
    }

    @Test func stackedConvolutionsHaveCorrectDerivatives() {
        // Two convolutions in a row: the second-order check then differentiates conv2d's
        // rule through the other convolution's rules.
        let x = randomTensor([1, 2, 6, 6], seed: 14)
        let w1 = randomTensor([2, 2, 3, 3], seed: 15), w2 = randomTensor([2, 2, 3, 3], seed: 16)
        expectCorrectDerivatives(of: { v in
            Variable.conv2d(Variable.conv2d(v[0], v[1], stride: 2, padding: 1).tanh(), v[2], stride: 1, padding: 1)
        }, at: [x, w1, w2])
    }
}
