import Testing
import MetaTensor
import MetaAutodiff
import MetaTestKit

@Test func smokeTanhMatmulSecondOrder() {
    let a = Tensor<Double>(shape: [2, 3], scalars: [0.1, -0.2, 0.3, 0.4, 0.5, -0.6])
    let w = Tensor<Double>(shape: [3, 2], scalars: [0.7, -0.1, 0.2, 0.3, -0.5, 0.9])
    let f: GradientCheck.Function = { v in Variable.matmul(v[0], v[1]).tanh().squared().sum() }
    #expect(GradientCheck.firstOrderError(of: f, at: [a, w]) < 1e-7)
    #expect(GradientCheck.secondOrderError(of: f, at: [a, w], direction: [w.transposed(), a.transposed()]) < 1e-6)
}
