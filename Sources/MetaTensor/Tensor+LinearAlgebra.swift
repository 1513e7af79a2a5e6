extension Tensor {
    /// Matrix product `op(a) · op(b)` over the last two axes, where `op` transposes when asked
    /// (no copy: BLAS reads the transpose in place).
    ///
    /// Leading (batch) axes must be equal in both operands, or one operand must be a plain
    /// matrix shared by every batch entry. Output: `batch + [m, n]`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
        let g = checked { try MatmulGeometry(a.shape, b.shape, transposeA: transposeA, transposeB: transposeB) }
        let aPtr = a.storage.pointer, bPtr = b.storage.pointer
        return Tensor(shape: g.outputShape) { c, _ in
            if g.aBatched && !g.bBatched && !transposeA {
                // Every batch entry multiplies the same matrix: one GEMM over the stacked rows.
                Scalar.gemm(transposeA: false, transposeB: transposeB, m: g.batch * g.m, n: g.n, k: g.k,
                            alpha: 1, a: aPtr, lda: a.shape.last!, b: bPtr, ldb: b.shape.last!,
                            beta: 0, c: c, ldc: g.n)
                return
            }
            let aStep = g.aBatched ? g.m * g.k : 0, bStep = g.bBatched ? g.k * g.n : 0
            for i in 0..<g.batch {
                Scalar.gemm(transposeA: transposeA, transposeB: transposeB, m: g.m, n: g.n, k: g.k,
                            alpha: 1, a: aPtr + i * aStep, lda: a.shape.last!, b: bPtr + i * bStep, ldb: b.shape.last!,
                            beta: 0, c: c + i * g.m * g.n, ldc: g.n)
            }
        }
    }
}

/// The sizes of a (batched) matrix product, validated.
public struct MatmulGeometry: Sendable {
    public let m: Int, n: Int, k: Int, batch: Int
    public let aBatched: Bool, bBatched: Bool
    public let outputShape: [Int]

    public init(_ a: [Int], _ b: [Int], transposeA: Bool, transposeB: Bool) throws {
        let op = "matmul"
        guard a.count >= 2, b.count >= 2 else {
            throw ShapeError(op: op, shapes: [a, b], reason: "operands need rank ≥ 2")
        }
        let (ar, ac) = (a[a.count - 2], a[a.count - 1]), (br, bc) = (b[b.count - 2], b[b.count - 1])
        m = transposeA ? ac : ar; k = transposeA ? ar : ac
        let kb = transposeB ? bc : br
        n = transposeB ? br : bc
        guard k == kb else {
            throw ShapeError(op: op, shapes: [a, b],
                             reason: "inner dimensions differ (\(k) vs \(kb)); transposeA \(transposeA), transposeB \(transposeB)")
        }
        let batchA = Array(a.dropLast(2)), batchB = Array(b.dropLast(2))
        aBatched = !batchA.isEmpty; bBatched = !batchB.isEmpty
        if aBatched && bBatched && batchA != batchB {
            throw ShapeError(op: op, shapes: [a, b], reason: "batch dimensions differ")
        }
        let batchShape = aBatched ? batchA : batchB
        batch = batchShape.reduce(1, *)
        outputShape = batchShape + [m, n]
    }
}
