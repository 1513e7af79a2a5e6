import Testing
import MetaTensor

/// Layout operations: permute/transpose, slice/embed/concatenate, gather/scatterAdd, oneHot.
@Suite struct IndexingTests {
    @Test(arguments: [[0, 1, 2, 3], [3, 2, 1, 0], [0, 2, 3, 1], [1, 0, 2, 3], [0, 3, 1, 2], [2, 0, 3, 1]])
    func permutedMovesEveryElementToItsPermutedIndex(permutation: [Int]) {
        let shape = [2, 3, 4, 5]
        let x = randomTensor(shape, seed: 1)
        let y = x.permuted(permutation)
        #expect(y.shape == permutation.map { shape[$0] })
        for flat in 0..<y.count {
            let outIndex = multiIndex(flat, y.shape)
            var inIndex = [Int](repeating: 0, count: 4)
            for (d, axis) in permutation.enumerated() { inIndex[axis] = outIndex[d] }
            #expect(y.scalars[flat] == x.scalars[flatIndex(inIndex, shape)])
        }
        // Applying the inverse permutation restores the tensor.
        var inverse = [Int](repeating: 0, count: 4)
        for (i, axis) in permutation.enumerated() { inverse[axis] = i }
        #expect(y.permuted(inverse) == x)
    }

    @Test func transposedSwapsTheLastTwoAxes() {
        let x = randomTensor([2, 3, 4], seed: 2)
        let t = x.transposed()
        #expect(t.shape == [2, 4, 3])
        for b in 0..<2 { for i in 0..<3 { for j in 0..<4 { #expect(t[b, j, i] == x[b, i, j]) } } }
        #expect(t.transposed() == x)
    }

    @Test func sliceCopiesTheRangeAlongAxisAndEmbedRestoresIt() {
        let x = randomTensor([3, 4, 5], seed: 3)
        for (axis, start, length) in [(0, 1, 2), (1, 0, 3), (1, 2, 2), (2, 1, 3), (-1, 0, 1), (0, 0, 3)] {
            let a = axis < 0 ? axis + 3 : axis
            let y = x.slice(axis: axis, start: start, length: length)
            var expected = x.shape; expected[a] = length
            #expect(y.shape == expected)
            for flat in 0..<y.count {
                var index = multiIndex(flat, y.shape); index[a] += start
                #expect(y.scalars[flat] == x.scalars[flatIndex(index, x.shape)], "axis \(axis) start \(start)")
            }
            // Embedding the slice back gives the original on the range and zeros elsewhere.
            let e = y.embedded(axis: axis, start: start, size: x.shape[a])
            #expect(e.shape == x.shape)
            for flat in 0..<x.count {
                let i = multiIndex(flat, x.shape)[a]
                #expect(e.scalars[flat] == (i >= start && i < start + length ? x.scalars[flat] : 0))
            }
        }
    }

    @Test func embeddedIsTheAdjointOfSlice() {
        let x = randomTensor([3, 6, 2], seed: 4), g = randomTensor([3, 2, 2], seed: 5)
        let lhs = innerProduct(x.slice(axis: 1, start: 3, length: 2), g)
        let rhs = innerProduct(x, g.embedded(axis: 1, start: 3, size: 6))
        #expect(Swift.abs(lhs - rhs) < 1e-14)
    }

    @Test(arguments: [0, 1, 2, -1])
    func concatenateJoinsPartsInOrder(axis: Int) {
        let a = axis < 0 ? axis + 3 : axis
        var shapes = [[2, 3, 4], [2, 3, 4], [2, 3, 4]]
        shapes[0][a] = 1; shapes[1][a] = 3; shapes[2][a] = 2
        let parts = shapes.enumerated().map { randomTensor($1, seed: UInt64(10 + $0)) }
        let joined = Tensor.concatenate(parts, axis: axis)
        var expected = shapes[0]; expected[a] = 6
        #expect(joined.shape == expected)
        var offset = 0
        for part in parts {
            #expect(joined.slice(axis: a, start: offset, length: part.shape[a]) == part)
            offset += part.shape[a]
        }
    }

    @Test func gatherReadsFlatIndicesIncludingRepeats() {
        let x = Tensor<Double>(shape: [2, 3], scalars: [10, 11, 12, 13, 14, 15])
        let y = x.gather(flatIndices: [5, 0, 0, 3, 5, 1], shape: [3, 2])
        #expect(y.shape == [3, 2])
        #expect(y.scalars == [15, 10, 10, 13, 15, 11])
        #expect(x.gather(flatIndices: [], shape: [0]).shape == [0])
    }

    @Test func scatterAddAccumulatesRepeatedIndices() {
        let x = Tensor<Double>(shape: [5], scalars: [1, 2, 3, 4, 5])
        let y = x.scatterAdd(flatIndices: [2, 0, 2, 2, 5], shape: [2, 3])
        #expect(y.shape == [2, 3])
        #expect(y.scalars == [2, 0, 1 + 3 + 4, 0, 0, 5])
    }

    @Test func scatterAddIsTheAdjointOfGather() {
        let x = randomTensor([4, 5], seed: 6), g = randomTensor([7], seed: 7)
        let indices: [Int32] = [3, 19, 3, 0, 7, 7, 7]
        let lhs = innerProduct(x.gather(flatIndices: indices, shape: [7]), g)
        let rhs = innerProduct(x, g.scatterAdd(flatIndices: indices, shape: [4, 5]))
        #expect(Swift.abs(lhs - rhs) < 1e-14)
    }

    @Test func oneHotPlacesASingleOnePerRow() {
        let y = Tensor<Double>.oneHot([2, 0, 2, 1], classes: 3)
        #expect(y.shape == [4, 3])
        #expect(y.scalars == [0, 0, 1, 1, 0, 0, 0, 0, 1, 0, 1, 0])
        #expect(Tensor<Float>.oneHot([], classes: 4).shape == [0, 4])
    }
}
