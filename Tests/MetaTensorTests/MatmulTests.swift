import Testing
import MetaTensor
import MetaTestKit

/// `Tensor.matmul` against a triple loop, for every transpose combination, plain, batched,
/// and with one operand a shared (rank-2) matrix.
@Suite struct MatmulTests {
    /// `op(a) · op(b)` by the definition; a rank-2 operand is shared by every batch entry.
    static func reference(_ a: Tensor<Double>, _ b: Tensor<Double>, transposeA: Bool, transposeB: Bool) -> Tensor<Double> {
        let (ar, ac) = (a.shape[a.rank - 2], a.shape[a.rank - 1])
        let (br, bc) = (b.shape[b.rank - 2], b.shape[b.rank - 1])
        let m = transposeA ? ac : ar, k = transposeA ? ar : ac, n = transposeB ? br : bc
        let batchShape = a.rank > 2 ? Array(a.shape.dropLast(2)) : Array(b.shape.dropLast(2))
        let batch = batchShape.reduce(1, *)
        let av = a.scalars, bv = b.scalars
        var out = [Double](repeating: 0, count: batch * m * n)
        for t in 0..<batch {
            let aBase = a.rank > 2 ? t * ar * ac : 0, bBase = b.rank > 2 ? t * br * bc : 0
            for i in 0..<m {
                for j in 0..<n {
                    var s = 0.0
                    for l in 0..<k {
                        let x = transposeA ? av[aBase + l * ac + i] : av[aBase + i * ac + l]
                        let y = transposeB ? bv[bBase + j * bc + l] : bv[bBase + l * bc + j]
                        s += x * y
                    }
                    out[(t * m + i) * n + j] = s
                }
            }
        }
        return Tensor(shape: batchShape + [m, n], scalars: out)
    }

    /// Operand shapes for `m × k` times `k × n` under the given transposes.
    static func shapes(m: Int, k: Int, n: Int, transposeA: Bool, transposeB: Bool) -> ([Int], [Int]) {
        (transposeA ? [k, m] : [m, k], transposeB ? [n, k] : [k, n])
    }

    func expectMatchesReference(_ a: Tensor<Double>, _ b: Tensor<Double>, transposeA: Bool, transposeB: Bool,
                                sourceLocation: SourceLocation = #_sourceLocation) {
        let got = Tensor.matmul(a, b, transposeA: transposeA, transposeB: transposeB)
        let want = Self.reference(a, b, transposeA: transposeA, transposeB: transposeB)
        #expect(got.shape == want.shape, sourceLocation: sourceLocation)
        if got.shape == want.shape {
            #expect(Approximate.relativeError(got, want) < 1e-14,
                    "a \(a.shape) b \(b.shape) transposeA \(transposeA) transposeB \(transposeB)",
                    sourceLocation: sourceLocation)
        }
    }

    @Test(arguments: [false, true], [false, true])
    func matrixProductMatchesTripleLoop(transposeA: Bool, transposeB: Bool) {
        let (sa, sb) = Self.shapes(m: 3, k: 4, n: 5, transposeA: transposeA, transposeB: transposeB)
        expectMatchesReference(randomTensor(sa, seed: 1), randomTensor(sb, seed: 2),
                               transposeA: transposeA, transposeB: transposeB)
    }

    @Test(arguments: [false, true], [false, true])
    func degenerateSizesOfOneMatchTripleLoop(transposeA: Bool, transposeB: Bool) {
        for (m, k, n) in [(1, 1, 1), (1, 4, 1), (4, 1, 3), (1, 3, 5)] {
            let (sa, sb) = Self.shapes(m: m, k: k, n: n, transposeA: transposeA, transposeB: transposeB)
            expectMatchesReference(randomTensor(sa, seed: 3), randomTensor(sb, seed: 4),
                                   transposeA: transposeA, transposeB: transposeB)
        }
    }

    @Test(arguments: [false, true], [false, true])
    func batchedProductMultipliesEachBatchEntry(transposeA: Bool, transposeB: Bool) {
        let (sa, sb) = Self.shapes(m: 3, k: 4, n: 2, transposeA: transposeA, transposeB: transposeB)
        expectMatchesReference(randomTensor([2, 3] + sa, seed: 5), randomTensor([2, 3] + sb, seed: 6),
                               transposeA: transposeA, transposeB: transposeB)
    }

    @Test(arguments: [false, true], [false, true])
    func batchedTimesSharedMatrixUsesTheSameMatrixForEveryEntry(transposeA: Bool, transposeB: Bool) {
        let (sa, sb) = Self.shapes(m: 3, k: 4, n: 5, transposeA: transposeA, transposeB: transposeB)
        expectMatchesReference(randomTensor([4] + sa, seed: 7), randomTensor(sb, seed: 8),
                               transposeA: transposeA, transposeB: transposeB)
        expectMatchesReference(randomTensor([2, 3] + sa, seed: 9), randomTensor(sb, seed: 10),
                               transposeA: transposeA, transposeB: transposeB)
    }

    @Test(arguments: [false, true], [false, true])
    func sharedMatrixTimesBatchedUsesTheSameMatrixForEveryEntry(transposeA: Bool, transposeB: Bool) {
        let (sa, sb) = Self.shapes(m: 3, k: 4, n: 5, transposeA: transposeA, transposeB: transposeB)
        expectMatchesReference(randomTensor(sa, seed: 11), randomTensor([3] + sb, seed: 12),
                               transposeA: transposeA, transposeB: transposeB)
    }

    @Test func outputShapeIsBatchThenRowsThenColumns() {
        let a = Tensor<Double>(zeros: [2, 3, 4, 5]), b = Tensor<Double>(zeros: [2, 3, 5, 6])
        #expect(Tensor.matmul(a, b).shape == [2, 3, 4, 6])
        #expect(Tensor.matmul(a, Tensor<Double>(zeros: [6, 5]), transposeB: true).shape == [2, 3, 4, 6])
        #expect(Tensor.matmul(Tensor<Double>(zeros: [5, 4]), b, transposeA: true).shape == [2, 3, 4, 6])
    }

    @Test func identityMatrixLeavesTheOperandUnchanged() {
        let a = randomTensor([3, 4], seed: 13)
        var eye = [Double](repeating: 0, count: 16)
        for i in 0..<4 { eye[i * 4 + i] = 1 }
        #expect(Tensor.matmul(a, Tensor(shape: [4, 4], scalars: eye)) == a)
    }
}
