import Testing
import MetaTensor
import MetaAutodiff

/// How the graph is recorded and swept: constants, stop-gradient, intermediate targets,
/// accumulation, seeds, higher-order derivatives and very deep graphs.
@Suite struct GraphTests {
    @Test func operationsOnConstantsRecordNoGraph() {
        let c = Variable(randomTensor([2, 2], seed: 1))
        #expect(!c.requiresGradient)
        #expect(!(c.tanh() * c + c).sum().requiresGradient)
        let x = Variable(differentiable: randomTensor([2, 2], seed: 2))
        #expect(x.requiresGradient)
        #expect((c * x).requiresGradient)
    }

    @Test func gradientsWithoutCreateGraphAreConstants() {
        let x = Variable(differentiable: randomTensor([3], seed: 3))
        let y = (x * x).tanh().sum()
        let g = gradients(of: y, withRespectTo: [x])[0]
        #expect(!g.requiresGradient)
        let h = gradients(of: y, withRespectTo: [x], createGraph: true)[0]
        #expect(h.requiresGradient)
        #expect(h.value == g.value)
    }

    @Test func detachedStopsGradients() {
        let x = Variable(differentiable: randomTensor([3], seed: 4))
        let zero = gradients(of: x.detached().tanh().sum(), withRespectTo: [x])[0]
        #expect(zero.value == Tensor(zeros: [3]))
        #expect(!x.detached().requiresGradient)
        // d/dx Σ stop(x)·x = stop(x) = x, not 2x.
        let half = gradients(of: (x.detached() * x).sum(), withRespectTo: [x])[0]
        #expect(half.value == x.value)
    }

    @Test func gradientWithRespectToAnIntermediateVariable() {
        let x = Variable(differentiable: randomTensor([4], seed: 5))
        let h = x.tanh()
        let y = (h * h).sum()
        let g = gradients(of: y, withRespectTo: [h, x])
        #expect(maxAbsDifference(g[0].value, h.value * 2) == 0)
        let want = h.value * 2 * (Tensor(repeating: 1, shape: [4]) - h.value * h.value)
        #expect(maxAbsDifference(g[1].value, want) < 1e-15)
    }

    @Test func gradientsAccumulateOverEveryUse() {
        let x = Variable(differentiable: randomTensor([3], seed: 6))
        #expect(gradients(of: (x * x).sum(), withRespectTo: [x])[0].value == x.value * 2)
        let g = gradients(of: (x + x + x * 2).sum(), withRespectTo: [x])[0].value
        #expect(g == Tensor(repeating: 4, shape: [3]))
        // Through two branches that meet again.
        let h = x.exp()
        let y = (h * x.tanh() + h).sum()
        let t = x.value.map(.tanh), e = x.value.map(.exp)
        let want = e * t + e * (Tensor(repeating: 1, shape: [3]) - t * t) + e
        #expect(maxAbsDifference(gradients(of: y, withRespectTo: [x])[0].value, want) < 1e-14)
    }

    @Test func gradientWithRespectToAnUnusedVariableIsZeros() {
        let x = Variable(differentiable: randomTensor([2], seed: 7))
        let unused = Variable(differentiable: randomTensor([3, 2], seed: 8))
        let g = gradients(of: x.exp().sum(), withRespectTo: [unused, x])
        #expect(g[0].value == Tensor(zeros: [3, 2]))
        #expect(g[1].value == x.value.map(.exp))
        // A constant output: everything is zero.
        let c = Variable(randomTensor([2], seed: 9)).sum()
        #expect(gradients(of: c, withRespectTo: [x])[0].value == Tensor(zeros: [2]))
        #expect(gradients(of: c, withRespectTo: [x], createGraph: true)[0].value == Tensor(zeros: [2]))
    }

    @Test func seedGivesTheVectorJacobianProduct() {
        let x = Variable(differentiable: randomTensor([2, 3], seed: 10))
        let s = randomTensor([2, 3], seed: 11)
        let g = gradients(of: x.squared(), withRespectTo: [x], seed: Variable(s))[0]
        #expect(g.value == s * x.value * 2)
        // The output with respect to itself is the seed.
        let y = x.tanh()
        #expect(gradients(of: y, withRespectTo: [y], seed: Variable(s))[0].value == s)
    }

    @Test func sweepingTheSameGraphTwiceGivesTheSameGradients() {
        let x = Variable(differentiable: randomTensor([3], seed: 12))
        let y = (x.sigmoid() * x).sum()
        let first = gradients(of: y, withRespectTo: [x])[0].value
        let second = gradients(of: y, withRespectTo: [x])[0].value
        #expect(first == second)
        // And a graph shared by two outputs.
        let z = (x.sigmoid() * 3).sum()
        #expect(gradients(of: z, withRespectTo: [x])[0].value.shape == [3])
        #expect(gradients(of: y, withRespectTo: [x])[0].value == first)
    }

    @Test func valueWithGradientReturnsTheValue() {
        let x = randomTensor([3], seed: 13)
        let (value, grads) = valueWithGradient(at: [x]) { $0[0].squared().sum() }
        #expect(Swift.abs(value.scalar - x.scalars.reduce(0) { $0 + $1 * $1 }) < 1e-15)
        #expect(grads[0].value == x * 2)
        #expect(!grads[0].requiresGradient)
    }

    /// The n-th derivative by sweeping the previous derivative again (createGraph each time).
    static func derivatives(of f: (Variable<Double>) -> Variable<Double>, at x0: Double, order: Int) -> [Double] {
        let x = Variable(differentiable: Tensor(x0))
        var current = f(x)
        var out: [Double] = []
        for _ in 0..<order {
            current = gradients(of: current, withRespectTo: [x], createGraph: true)[0]
            out.append(current.scalar)
        }
        return out
    }

    @Test func thirdDerivativeOfFourthPowerIs24x() {
        let x = 1.3
        let d = Self.derivatives(of: { $0.pow(4) }, at: x, order: 4)
        #expect(Swift.abs(d[0] - 4 * x * x * x) < 1e-14)
        #expect(Swift.abs(d[1] - 12 * x * x) < 1e-14)
        #expect(Swift.abs(d[2] - 24 * x) < 1e-14)
        #expect(Swift.abs(d[3] - 24) < 1e-14)
        // The same through a product of variables: x·x·x·x.
        let e = Self.derivatives(of: { $0 * $0 * $0 * $0 }, at: -0.7, order: 3)
        #expect(Swift.abs(e[2] - 24 * -0.7) < 1e-14)
    }

    @Test func thirdDerivativeOfTanhMatchesClosedForm() {
        for x in [-1.2, 0.3, 0.9] {
            let t = Double.tanh(x), s = 1 - t * t
            let d = Self.derivatives(of: { $0.tanh() }, at: x, order: 3)
            #expect(Swift.abs(d[0] - s) < 1e-15)
            #expect(Swift.abs(d[1] - (-2 * t * s)) < 1e-15)
            #expect(Swift.abs(d[2] - s * (6 * t * t - 2)) < 1e-14)
        }
    }

    @Test func thirdDerivativeOfSigmoidAndExpMatchClosedForm() {
        let x = 0.4
        let p = 1 / (1 + Double.exp(-x))
        let d = Self.derivatives(of: { $0.sigmoid() }, at: x, order: 3)
        #expect(Swift.abs(d[2] - p * (1 - p) * (1 - 6 * p + 6 * p * p)) < 1e-14)
        let e = Self.derivatives(of: { $0.exp() }, at: x, order: 3)
        #expect(e.allSatisfy { Swift.abs($0 - Double.exp(x)) < 1e-14 })
    }

    /// 30,000 recorded ops in one chain (10,000 residual steps y ← y + 1e-4·tanh(y)): built,
    /// differentiated twice and released without recursing once per node.
    @Test func longChainIsDifferentiatedAndReleasedWithoutStackOverflow() {
        let steps = 10_000, a = 1e-4
        let x0 = randomTensor([3], seed: 14, low: -2, high: 2)
        // Forward mode in plain Doubles: y, dy/dx and d²y/dx² per element.
        var want1: [Double] = [], want2: [Double] = []
        for x in x0.scalars {
            var y = x, d1 = 1.0, d2 = 0.0
            for _ in 0..<steps {
                let t = Double.tanh(y), s = 1 - t * t
                d2 = d2 * (1 + a * s) + d1 * d1 * a * (-2 * t * s)
                d1 = d1 * (1 + a * s)
                y += a * t
            }
            want1.append(d1); want2.append(d2)
        }
        do {
            let x = Variable(differentiable: x0)
            var y = x
            for _ in 0..<steps { y = y + y.tanh() * a }
            let g = gradients(of: y.sum(), withRespectTo: [x], createGraph: true)[0]
            let h = gradients(of: g.sum(), withRespectTo: [x])[0]
            // Reverse and forward mode round differently at each of the 10,000 steps: up to
            // ~1e-16 relative per step, so allow 1e-10 (first) and 1e-8 (second order).
            for i in 0..<3 {
                #expect(Swift.abs(g.value.scalars[i] - want1[i]) < 1e-10 * Swift.abs(want1[i]))
                #expect(Swift.abs(h.value.scalars[i] - want2[i]) < 1e-8 * Swift.max(Swift.abs(want2[i]), 1e-3))
            }
        }
        // Leaving the scope released both graphs (that of y and that of g); nothing to check
        // beyond not crashing.
    }
}
