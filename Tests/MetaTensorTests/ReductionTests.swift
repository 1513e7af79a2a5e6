import Testing
import MetaTensor
import MetaTestKit

/// `sum(toShape:)`, `sum(alongAxes:)`, `sum()`, `mean()` and `argmax` against loops.
@Suite struct ReductionTests {
    /// Sums every element into the position it broadcasts from in `target`.
    static func referenceSum(_ x: Tensor<Double>, toShape target: [Int]) -> Tensor<Double> {
        let padded = [Int](repeating: 1, count: x.rank - target.count) + target
        var out = [Double](repeating: 0, count: target.reduce(1, *))
        for (flat, v) in x.scalars.enumerated() {
            let index = zip(multiIndex(flat, x.shape), padded).map { $1 == 1 ? 0 : $0 }
            out[flatIndex(index, padded)] += v
        }
        return Tensor(shape: target, scalars: out)
    }

    @Test(arguments: [[1, 3, 1, 1], [2, 1, 4, 1], [3, 1, 5], [5], [1], [], [1, 1, 1, 1], [2, 3, 4, 5], [4, 1], [1, 3, 4, 5]])
    func sumToShapeAddsOverBroadcastAxes(target: [Int]) {
        let x = randomTensor([2, 3, 4, 5], seed: 1)
        let got = x.sum(toShape: target)
        #expect(got.shape == target)
        #expect(Approximate.relativeError(got, Self.referenceSum(x, toShape: target)) < 1e-15)
    }

    @Test func sumToShapeIsTheAdjointOfBroadcast() {
        let x = randomTensor([2, 3, 4, 5], seed: 2), small = randomTensor([3, 1, 5], seed: 3)
        let lhs = innerProduct(small.broadcast(to: x.shape), x)
        let rhs = innerProduct(small, x.sum(toShape: small.shape))
        #expect(Swift.abs(lhs - rhs) < 1e-13 * Swift.max(Swift.abs(lhs), 1))
    }

    @Test func sumAlongNonAdjacentAxesOfNCHWKeepsChannels() {
        let x = randomTensor([2, 3, 4, 5], seed: 4)
        let kept = x.sum(alongAxes: [0, 2, 3], keepingDimensions: true)
        let dropped = x.sum(alongAxes: [0, 2, 3])
        #expect(kept.shape == [1, 3, 1, 1])
        #expect(dropped.shape == [3])
        for c in 0..<3 {
            var s = 0.0
            for n in 0..<2 { for h in 0..<4 { for w in 0..<5 { s += x[n, c, h, w] } } }
            #expect(Swift.abs(kept[0, c, 0, 0] - s) < 1e-13)
            #expect(dropped[c] == kept[0, c, 0, 0])
        }
    }

    @Test(arguments: [[0], [1], [3], [-1], [0, 1], [1, 3], [0, 3], [0, 1, 2, 3], [-1, -3]])
    func sumAlongAxesMatchesReference(axes: [Int]) {
        let x = randomTensor([2, 3, 4, 5], seed: 5)
        var target = x.shape
        for a in axes { target[a < 0 ? a + 4 : a] = 1 }
        let want = Self.referenceSum(x, toShape: target)
        let kept = x.sum(alongAxes: axes, keepingDimensions: true)
        #expect(kept.shape == target)
        #expect(Approximate.relativeError(kept, want) < 1e-15)
        let dropped = x.sum(alongAxes: axes)
        #expect(dropped.shape == target.enumerated().filter { !axes.map { $0 < 0 ? $0 + 4 : $0 }.contains($0.offset) }.map(\.element))
        #expect(dropped.scalars == kept.scalars)
    }

    @Test func sumAndMeanOfAllElementsAreRankZero() {
        let x = randomTensor([3, 7], seed: 6)
        let total = x.scalars.reduce(0, +)
        #expect(x.sum().shape == [])
        #expect(Swift.abs(x.sum().scalar - total) < 1e-14)
        #expect(x.mean().shape == [])
        #expect(Swift.abs(x.mean().scalar - total / 21) < 1e-15)
        #expect(Tensor<Double>(4).sum().scalar == 4)
        #expect(Tensor<Double>(zeros: [0]).sum().scalar == 0)
    }

    @Test func argmaxReturnsFlatIndexOfFirstMaximumAlongEachAxis() {
        let x = randomTensor([3, 4, 5], seed: 7)
        for axis in [0, 1, 2, -1] {
            let a = axis < 0 ? axis + 3 : axis
            let (indices, shape) = x.argmax(alongAxis: axis)
            var expectedShape = x.shape; expectedShape.remove(at: a)
            #expect(shape == expectedShape)
            for (k, flat) in indices.enumerated() {
                var index = multiIndex(k, shape); index.insert(0, at: a)
                var best = flatIndex(index, x.shape)
                for j in 1..<x.shape[a] {
                    index[a] = j
                    let at = flatIndex(index, x.shape)
                    if x.scalars[at] > x.scalars[best] { best = at }
                }
                #expect(Int(flat) == best, "axis \(axis), position \(k)")
            }
        }
    }

    @Test func argmaxPicksTheFirstOfTiedMaxima() {
        let x = Tensor<Double>(shape: [3, 4], scalars: [
            1, 3, 3, 2,
            2, 3, 2, 2,
            2, -5, -1, -1,
        ])
        #expect(x.argmax(alongAxis: 1).indices == [1, 5, 8])
        #expect(x.argmax(alongAxis: 0).indices == [4, 1, 2, 3])
        #expect(Tensor<Double>(repeating: 7, shape: [2, 3]).argmax(alongAxis: 1).indices == [0, 3])
    }

    @Test func argmaxSkipsALeadingNaN() {
        let x = Tensor<Double>(shape: [1, 3], scalars: [.nan, 1, 2])
        #expect(x.argmax(alongAxis: 1).indices == [2])
    }

    @Test func argmaxOfASingleElementAxisIsThatElement() {
        let x = randomTensor([3, 1], seed: 8)
        #expect(x.argmax(alongAxis: 1).indices == [0, 1, 2])
    }
}

/// `sequentialSum(ofSlices:)` stands for adding separately computed tensors one by one.
@Suite struct SequentialSumTests {
    @Test(arguments: [0..<1, 0..<4, 3..<7, 5..<9])
    func sequentialSumIsBitIdenticalToAddingTheSlicesLeftToRight(range: Range<Int>) {
        let x = randomTensor([9, 3, 5], seed: 21).converted(to: Float.self)
        var expected = x.slice(axis: 0, start: range.lowerBound, length: 1).reshaped([3, 5])
        for r in range.dropFirst() { expected = expected + x.slice(axis: 0, start: r, length: 1).reshaped([3, 5]) }
        let got = x.sequentialSum(ofSlices: range)
        #expect(got.shape == [3, 5])
        #expect(got == expected)
    }

    @Test func sequentialSumAddsInScalarPrecisionNotInDouble() {
        // 1 + 2⁻²⁴ + 2⁻²⁴ in Float is 1 when added left to right; a Double accumulator gives more.
        let tiny = Float(1) / Float(1 << 24)
        let x = Tensor<Float>(shape: [3, 1], scalars: [1, tiny, tiny])
        #expect(x.sequentialSum(ofSlices: 0..<3).scalars == [1])
        #expect(x.sum(toShape: [1, 1]).scalars != [1])
    }
}
