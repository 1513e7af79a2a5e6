import Testing
import MetaRL
import MetaTestKit

@Test func conjugateGradientSolvesLikeADirectSolve() {
    let n = 6
    // A = MᵀM + I: symmetric positive definite.
    let m = (0..<(n * n)).map { Double(($0 * 37 + 11) % 17) / 17 - 0.5 }
    var a = [Double](repeating: 0, count: n * n)
    for i in 0..<n { for j in 0..<n { for k in 0..<n { a[i * n + j] += m[k * n + i] * m[k * n + j] } } }
    for i in 0..<n { a[i * n + i] += 1 }
    let b = (0..<n).map { Double($0) - 2.5 }
    let multiply = { (v: [Double]) in (0..<n).map { i in (0..<n).reduce(0.0) { $0 + a[i * n + $1] * v[$1] } } }
    let direct = DenseSolve.solve(a, b)!
    #expect(GradientCheck.relativeError(multiply(direct), b) < 1e-12)
    let cg = ConjugateGradient.solve(b: b, iterations: n, multiply: multiply)
    #expect(GradientCheck.relativeError(cg, direct) < 1e-8)
    // Fewer iterations than unknowns: an approximation, not the solution.
    let early = ConjugateGradient.solve(b: b, iterations: 2, multiply: multiply)
    #expect(GradientCheck.relativeError(early, direct) > 1e-6)
}

@Test func denseSolveRefusesASingularMatrix() {
    #expect(DenseSolve.solve([1, 2, 2, 4], [1, 1]) == nil)
}
