import Testing
import MetaTensor
import MetaAutodiff
import MetaNN
import MetaTestKit

/// The functional gradient API over parameter trees.
@Suite struct ParameterGradientTests {
    @Test func gradientOfASumOfSquaresIsTwiceTheParameters() {
        let p = Parameters<Tensor<Double>>([("a", Tensor(shape: [2], scalars: [1, -2])), ("b.c", Tensor(shape: [1, 1], scalars: [3]))])
        let g = gradient(at: p) { q in q["a"].squared().sum() + q["b.c"].squared().sum() }
        #expect(g.names == ["a", "b.c"])
        #expect(g["a"].scalars == [2, -4])
        #expect(g["b.c"].scalars == [6])
    }

    @Test func gradientWithCreateGraphCanBeDifferentiatedAgain() {
        // f = Σ x³: ∇f = 3x², and ∂/∂x Σ(∇f) = 6x.
        let p = Parameters<Tensor<Double>>([("x", Tensor(shape: [3], scalars: [1, 2, -1]))])
        let x = p.map { Variable(differentiable: $0) }
        let first = gradients(of: x["x"].pow(3).sum(), at: x, createGraph: true)
        let second = gradients(of: first["x"].sum(), at: x)
        #expect(second["x"].value.scalars == [6, 12, -6])
    }

    @Test func treeGradientMatchesTheModelsFiniteDifferences() {
        let model = SineMLP(hidden: [4])
        let p = model.initialParameters(seed: 2, as: Double.self)
        let x = Tensor<Double>(shape: [3, 1], scalars: [0.5, -1, 2]), y = Tensor<Double>(shape: [3, 1], scalars: [1, 0, -1])
        let f: GradientCheck.Function = { v in
            Losses.meanSquaredError(model.apply(Parameters(layout: p.layout, values: v), Variable(x)), Variable(y))
        }
        let tree = gradient(at: p) { q in Losses.meanSquaredError(model.apply(q, Variable(x)), Variable(y)) }
        let flat = GradientCheck.gradient(of: f, at: p.values)
        #expect(tree.values == flat)
        #expect(GradientCheck.firstOrderError(of: f, at: p.values) < 1e-7)
    }
}
