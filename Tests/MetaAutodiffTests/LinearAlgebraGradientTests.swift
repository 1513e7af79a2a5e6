import Testing
import MetaTensor
import MetaAutodiff
import MetaTestKit

/// First and second derivatives of the matrix product: every transpose combination, plain,
/// batched, and with a shared (rank-2) operand on either side.
@Suite struct LinearAlgebraGradientTests {
    static func shapes(m: Int, k: Int, n: Int, transposeA: Bool, transposeB: Bool) -> ([Int], [Int]) {
        (transposeA ? [k, m] : [m, k], transposeB ? [n, k] : [k, n])
    }

    static func product(transposeA: Bool, transposeB: Bool) -> ([Variable<Double>]) -> Variable<Double> {
        { Variable.matmul($0[0], $0[1], transposeA: transposeA, transposeB: transposeB) }
    }

    @Test(arguments: [false, true], [false, true])
    func matrixProductHasCorrectDerivatives(transposeA: Bool, transposeB: Bool) {
        let (sa, sb) = Self.shapes(m: 2, k: 3, n: 4, transposeA: transposeA, transposeB: transposeB)
        expectCorrectDerivatives(of: Self.product(transposeA: transposeA, transposeB: transposeB),
                                 at: [randomTensor(sa, seed: 1), randomTensor(sb, seed: 2)])
    }

    @Test(arguments: [false, true], [false, true])
    func batchedProductHasCorrectDerivatives(transposeA: Bool, transposeB: Bool) {
        let (sa, sb) = Self.shapes(m: 2, k: 3, n: 2, transposeA: transposeA, transposeB: transposeB)
        expectCorrectDerivatives(of: Self.product(transposeA: transposeA, transposeB: transposeB),
                                 at: [randomTensor([2] + sa, seed: 3), randomTensor([2] + sb, seed: 4)])
    }

    @Test(arguments: [false, true], [false, true])
    func batchedTimesSharedMatrixHasCorrectDerivatives(transposeA: Bool, transposeB: Bool) {
        // The shared matrix's gradient is the sum over the batch.
        let (sa, sb) = Self.shapes(m: 2, k: 3, n: 2, transposeA: transposeA, transposeB: transposeB)
        expectCorrectDerivatives(of: Self.product(transposeA: transposeA, transposeB: transposeB),
                                 at: [randomTensor([3] + sa, seed: 5), randomTensor(sb, seed: 6)])
        expectCorrectDerivatives(of: Self.product(transposeA: transposeA, transposeB: transposeB),
                                 at: [randomTensor([2, 2] + sa, seed: 7), randomTensor(sb, seed: 8)])
    }

    @Test(arguments: [false, true], [false, true])
    func sharedMatrixTimesBatchedHasCorrectDerivatives(transposeA: Bool, transposeB: Bool) {
        let (sa, sb) = Self.shapes(m: 2, k: 3, n: 2, transposeA: transposeA, transposeB: transposeB)
        expectCorrectDerivatives(of: Self.product(transposeA: transposeA, transposeB: transposeB),
                                 at: [randomTensor(sa, seed: 9), randomTensor([3] + sb, seed: 10)])
    }

    @Test func productWithOneOperandConstantHasCorrectDerivatives() {
        // Only one input needs a cotangent: the rule must skip the other.
        let w = randomTensor([3, 4], seed: 11)
        expectCorrectDerivatives(of: { Variable.matmul($0[0], Variable(w)).tanh() }, at: [randomTensor([2, 3], seed: 12)])
        let x = randomTensor([2, 3], seed: 13)
        expectCorrectDerivatives(of: { Variable.matmul(Variable(x), $0[0], transposeB: true).tanh() },
                                 at: [randomTensor([4, 3], seed: 14)])
    }

    @Test func quadraticFormHasItsAnalyticGradient() {
        // f(x) = xᵀ A x has gradient (A + Aᵀ) x and Hessian A + Aᵀ.
        let a = randomTensor([3, 3], seed: 15), x = randomTensor([3, 1], seed: 16)
        let f: ([Variable<Double>]) -> Variable<Double> = { v in
            Variable.matmul(v[0], Variable.matmul(Variable(a), v[0]), transposeA: true).sum()
        }
        let g = gradient(of: f, at: [x])[0]
        let want = Tensor.matmul(a + a.transposed(), x)
        #expect(maxAbsDifference(g, want) < 1e-14)
        let h = GradientCheck.hessianVectorProduct(of: f, at: [x], direction: [Tensor(shape: [3, 1], scalars: [1, 0, 0])])[0]
        #expect(maxAbsDifference(h, (a + a.transposed()).slice(axis: 1, start: 0, length: 1)) < 1e-14)
    }
}
