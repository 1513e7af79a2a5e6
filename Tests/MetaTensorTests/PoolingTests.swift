import Testing
import MetaTensor

/// `maxPoolIndices`: the flat index of each window's first maximum, floor-sized output.
@Suite struct PoolingTests {
    /// Scans each window in row-major order and keeps the first strict maximum.
    static func referenceIndices(_ x: Tensor<Double>, window: Int, stride: Int) -> (indices: [Int32], shape: [Int]) {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let oh = (h - window) / stride + 1, ow = (w - window) / stride + 1
        let v = x.scalars
        var out: [Int32] = []
        for plane in 0..<(n * c) {
            for i in 0..<oh {
                for j in 0..<ow {
                    var best = -1
                    for di in 0..<window {
                        for dj in 0..<window {
                            let at = (plane * h + i * stride + di) * w + j * stride + dj
                            if best < 0 || v[at] > v[best] { best = at }
                        }
                    }
                    out.append(Int32(best))
                }
            }
        }
        return (out, [n, c, oh, ow])
    }

    @Test(arguments: [[2, 3, 6, 8], [1, 2, 5, 7], [2, 1, 3, 3], [1, 1, 28, 28], [1, 1, 2, 2]])
    func window2Stride2MatchesReferenceAndFloorsOddSizes(shape: [Int]) {
        let x = randomTensor(shape, seed: 1)
        let (indices, pooled) = x.maxPoolIndices(window: 2, stride: 2)
        let want = Self.referenceIndices(x, window: 2, stride: 2)
        #expect(pooled == [shape[0], shape[1], shape[2] / 2, shape[3] / 2])
        #expect(pooled == want.shape)
        #expect(indices == want.indices)
    }

    @Test func overlappingWindowsMatchReference() {
        let x = randomTensor([2, 2, 7, 6], seed: 2)
        let (indices, pooled) = x.maxPoolIndices(window: 3, stride: 2)
        let want = Self.referenceIndices(x, window: 3, stride: 2)
        #expect(pooled == [2, 2, 3, 2])
        #expect(indices == want.indices)
    }

    @Test func pooledValuesAreWindowMaxima() {
        let x = Tensor<Double>(shape: [1, 1, 4, 4], scalars: [
            1, 5, 2, 0,
            3, 4, 8, 7,
            -1, -2, 0, 0,
            -3, -4, 0, 9,
        ])
        let (indices, shape) = x.maxPoolIndices()
        #expect(shape == [1, 1, 2, 2])
        #expect(x.gather(flatIndices: indices, shape: shape).scalars == [5, 8, -1, 9])
        #expect(indices == [1, 6, 8, 15])
    }

    @Test func tiesPickTheFirstElementOfTheWindow() {
        let x = Tensor<Double>(repeating: 3, shape: [1, 2, 4, 4])
        let (indices, _) = x.maxPoolIndices()
        #expect(indices == [0, 2, 8, 10, 16, 18, 24, 26])
        // A tie between the last two elements goes to the earlier one.
        let y = Tensor<Double>(shape: [1, 1, 2, 2], scalars: [0, 1, 2, 2])
        #expect(y.maxPoolIndices().indices == [2])
    }
}
