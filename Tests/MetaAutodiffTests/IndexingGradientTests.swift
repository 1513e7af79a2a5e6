import Testing
import MetaTensor
import MetaAutodiff

/// First and second derivatives of the indexing primitives (gather, scatterAdd, slice,
/// embed, concatenate) and of the ops built on them (rows, max-pooling).
@Suite struct IndexingGradientTests {
    @Test func gatherWithRepeatedIndicesHasCorrectDerivatives() {
        let indices: [Int32] = [5, 0, 0, 3, 5, 5, 1, 2]
        expectCorrectDerivatives(of: { $0[0].gather(flatIndices: indices, shape: [2, 4]) }, at: [randomTensor([2, 3], seed: 1)])
    }

    @Test func scatterAddWithRepeatedIndicesHasCorrectDerivatives() {
        let indices: [Int32] = [5, 0, 0, 3, 5, 5, 1, 2]
        expectCorrectDerivatives(of: { $0[0].scatterAdd(flatIndices: indices, shape: [2, 4]) },
                                 at: [randomTensor([8], seed: 2)])
    }

    @Test func gatherGradientAccumulatesRepeatedReads() {
        let g = gradient(of: { $0[0].gather(flatIndices: [2, 2, 0, 2], shape: [4]).sum() },
                         at: [randomTensor([3], seed: 3)])[0]
        #expect(g.scalars == [1, 0, 3])
    }

    @Test func rowsHasCorrectDerivatives() {
        expectCorrectDerivatives(of: { $0[0].rows([2, 0, 2, 1]) }, at: [randomTensor([3, 2, 2], seed: 4)])
        let v = Variable(Tensor<Double>(shape: [3, 2], scalars: [0, 1, 10, 11, 20, 21])).rows([2, 0])
        #expect(v.shape == [2, 2] && v.value.scalars == [20, 21, 0, 1])
    }

    @Test(arguments: [0, 1, 2, -1])
    func sliceHasCorrectDerivatives(axis: Int) {
        expectCorrectDerivatives(of: { $0[0].slice(axis: axis, start: 1, length: 2) }, at: [randomTensor([3, 4, 3], seed: 5)])
    }

    @Test(arguments: [0, 1, -1])
    func embeddedHasCorrectDerivatives(axis: Int) {
        expectCorrectDerivatives(of: { $0[0].embedded(axis: axis, start: 1, size: 5) }, at: [randomTensor([2, 3], seed: 6)])
    }

    @Test(arguments: [0, 1, -1])
    func concatenateHasCorrectDerivatives(axis: Int) {
        let a = axis < 0 ? axis + 3 : axis
        var shapes = [[2, 3, 2], [2, 3, 2], [2, 3, 2]]
        shapes[0][a] = 1; shapes[2][a] = 2
        expectCorrectDerivatives(of: { Variable.concatenate($0, axis: axis) },
                                 at: shapes.enumerated().map { randomTensor($1, seed: UInt64(10 + $0)) })
    }

    @Test func concatenateWithAConstantPartDifferentiatesTheOthers() {
        let constant = Variable(randomTensor([2, 2], seed: 20))
        expectCorrectDerivatives(of: { Variable.concatenate([$0[0], constant, $0[1]], axis: 1) },
                                 at: [randomTensor([2, 3], seed: 21), randomTensor([2, 1], seed: 22)])
    }

    @Test(arguments: [[2, 2, 4, 4], [1, 2, 5, 7], [2, 1, 3, 3]])
    func maxPool2dHasCorrectDerivatives(shape: [Int]) {
        // Distinct values 0.1 apart: no window has a near-tie that the finite-difference steps could flip.
        expectCorrectDerivatives(of: { $0[0].maxPool2d() }, at: [distinctValues(shape, seed: 23)])
    }

    @Test func maxPool2dWithOverlappingWindowsHasCorrectDerivatives() {
        expectCorrectDerivatives(of: { $0[0].maxPool2d(window: 3, stride: 2) }, at: [distinctValues([1, 2, 5, 6], seed: 24)])
    }

    @Test func maxPool2dRoutesTheGradientToEachWindowMaximum() {
        let x = Tensor<Double>(shape: [1, 1, 2, 4], scalars: [1, 5, 2, 0, 3, 4, 8, 7])
        let g = gradient(of: { ($0[0].maxPool2d() * Variable(Tensor(shape: [1, 1, 1, 2], scalars: [10, 20]))).sum() },
                         at: [x])[0]
        #expect(g.scalars == [0, 10, 0, 0, 0, 0, 20, 0])
    }
}
