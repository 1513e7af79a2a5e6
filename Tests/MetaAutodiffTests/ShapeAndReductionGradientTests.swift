import Testing
import MetaTensor
import MetaAutodiff

/// First and second derivatives of the layout primitives (reshape, permute, broadcast) and
/// of the reductions (sum to a shape, sum and mean along axes, reduce-max).
@Suite struct ShapeAndReductionGradientTests {
    @Test(arguments: [[1, 3, 1, 1], [2, 1, 4, 1], [3, 4, 1], [4, 1], [3, 1, 1], [], [1, 1, 1, 1]])
    func sumToShapeHasCorrectDerivatives(target: [Int]) {
        expectCorrectDerivatives(of: { $0[0].sum(toShape: target) }, at: [randomTensor([2, 3, 4, 1], seed: 1)])
    }

    @Test(arguments: [[2, 3, 4], [3, 3, 4], [2, 5, 3, 4]])
    func broadcastHasCorrectDerivatives(target: [Int]) {
        expectCorrectDerivatives(of: { $0[0].broadcast(to: target) }, at: [randomTensor([3, 1], seed: 2)])
    }

    @Test func broadcastOfRankZeroHasCorrectDerivatives() {
        expectCorrectDerivatives(of: { $0[0].broadcast(to: [2, 3]) }, at: [randomTensor([], seed: 3)])
    }

    @Test(arguments: [[0], [1], [-1], [0, 2, 3], [1, 3], [0, 1, 2, 3]])
    func sumAlongAxesHasCorrectDerivatives(axes: [Int]) {
        let x = randomTensor([2, 3, 2, 2], seed: 4)
        expectCorrectDerivatives(of: { $0[0].sum(alongAxes: axes) }, at: [x])
        expectCorrectDerivatives(of: { $0[0].sum(alongAxes: axes, keepingDimensions: true) }, at: [x])
    }

    @Test(arguments: [[0], [-1], [0, 2, 3], [1, 2]])
    func meanAlongAxesHasCorrectDerivatives(axes: [Int]) {
        let x = randomTensor([2, 3, 2, 2], seed: 5)
        expectCorrectDerivatives(of: { $0[0].mean(alongAxes: axes) }, at: [x])
        expectCorrectDerivatives(of: { $0[0].mean(alongAxes: axes, keepingDimensions: true) }, at: [x])
    }

    @Test func sumAndMeanOfAllElementsHaveCorrectDerivatives() {
        let x = randomTensor([3, 4], seed: 6)
        expectCorrectDerivatives(of: { $0[0].sum() }, at: [x])
        expectCorrectDerivatives(of: { $0[0].mean() }, at: [x])
        // The scalarisation of a scalar is still non-trivial: c·s + ½d·s².
        let g = gradient(of: { $0[0].mean() }, at: [x])[0]
        #expect(g == Tensor(repeating: 1.0 / 12, shape: [3, 4]))
    }

    @Test(arguments: [0, 1, 2, -1])
    func maxAlongAxisHasCorrectDerivatives(axis: Int) {
        let x = distinctValues([3, 4, 2], seed: 7)
        expectCorrectDerivatives(of: { $0[0].max(alongAxis: axis) }, at: [x])
        expectCorrectDerivatives(of: { $0[0].max(alongAxis: axis, keepingDimensions: true) }, at: [x])
    }

    @Test func maxAlongAxisSendsTheGradientToTheFirstMaximum() {
        let x = Tensor<Double>(shape: [2, 3], scalars: [1, 4, 4, 2, 2, 0])
        let g = gradient(of: { $0[0].max(alongAxis: 1).sum() }, at: [x])[0]
        #expect(g.scalars == [0, 1, 0, 1, 0, 0])
        let v = Variable(x).max(alongAxis: 1, keepingDimensions: true)
        #expect(v.shape == [2, 1] && v.value.scalars == [4, 2])
    }

    @Test(arguments: [[6, 4], [-1], [2, 2, 6], [24], [3, -1, 2]])
    func reshapeHasCorrectDerivatives(shape: [Int]) {
        expectCorrectDerivatives(of: { $0[0].reshaped(shape) }, at: [randomTensor([2, 3, 4], seed: 8)])
    }

    @Test(arguments: [[1, 0, 2, 3], [0, 2, 3, 1], [3, 2, 1, 0], [2, 0, 3, 1]])
    func permuteHasCorrectDerivatives(permutation: [Int]) {
        expectCorrectDerivatives(of: { $0[0].permuted(permutation) }, at: [randomTensor([2, 3, 2, 2], seed: 9)])
    }

    @Test func transposeHasCorrectDerivatives() {
        expectCorrectDerivatives(of: { $0[0].transposed() }, at: [randomTensor([3, 4], seed: 10)])
        expectCorrectDerivatives(of: { $0[0].transposed() }, at: [randomTensor([2, 3, 4], seed: 11)])
    }

    @Test func identityLayoutOpsRecordNothing() {
        let x = Variable(differentiable: randomTensor([2, 3], seed: 12))
        // No-ops return the same variable, so the gradient of x with respect to itself is ones.
        for y in [x.reshaped([2, 3]), x.permuted([0, 1]), x.broadcast(to: [2, 3]), x.sum(toShape: [2, 3])] {
            #expect(y.value == x.value)
            let g = gradients(of: y, withRespectTo: [x], seed: Variable(Tensor(repeating: 1, shape: [2, 3])))[0]
            #expect(g.value == Tensor(repeating: 1, shape: [2, 3]))
        }
    }
}
