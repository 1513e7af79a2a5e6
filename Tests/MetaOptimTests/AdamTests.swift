import Foundation
import Testing
import MetaTensor
import MetaNN
import MetaOptim

/// Adam, Kingma & Ba (2015) Algorithm 1, written with plain Double loops over flat arrays:
/// the parameters after each of `gradients.count` steps.
func adamReference(theta start: [Double], gradients: [[Double]], learningRate: Double,
                   beta1: Double, beta2: Double, epsilon: Double) -> [[Double]] {
    var theta = start
    var m = [Double](repeating: 0, count: start.count), v = m
    var trajectory: [[Double]] = []
    for (k, g) in gradients.enumerated() {
        let t = Double(k + 1)
        for i in 0..<theta.count {
            m[i] = beta1 * m[i] + (1 - beta1) * g[i]
            v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i]
            let mHat = m[i] / (1 - Foundation.pow(beta1, t))
            let vHat = v[i] / (1 - Foundation.pow(beta2, t))
            theta[i] -= learningRate * mHat / (vHat.squareRoot() + epsilon)
        }
        trajectory.append(theta)
    }
    return trajectory
}

@Suite struct AdamTests {
    @Test func doubleMatchesPlainLoopReferenceOverSixSteps() {
        let adam = Adam<Double>(learningRate: 0.01)
        var theta = Fixtures.parameters(Double.self)
        let start = Fixtures.flat(theta)
        let grads = (1...6).map { Fixtures.gradients(like: theta, step: $0) }
        let reference = adamReference(theta: start, gradients: grads.map(Fixtures.flat), learningRate: 0.01,
                                      beta1: 0.9, beta2: 0.999, epsilon: 1e-8)
        var state = adam.initialState(for: theta)
        for k in 0..<6 {
            (theta, state) = adam.update(theta, gradients: grads[k], state: state)
            #expect(state.step == k + 1)
            let got = Fixtures.flat(theta)
            for i in 0..<got.count { #expect(abs(got[i] - reference[k][i]) < 1e-13, "step \(k + 1), element \(i)") }
        }
    }

    @Test func floatMatchesDoubleReferenceWithinFloatRounding() {
        let adam = Adam<Float>(learningRate: 0.05, beta1: 0.8, beta2: 0.99, epsilon: 1e-6)
        var theta = Fixtures.parameters(Float.self)
        let start = Fixtures.flat(theta)
        let grads = (1...5).map { Fixtures.gradients(like: theta, step: $0) }
        // The reference uses the Float hyperparameters' exact values.
        let reference = adamReference(theta: start, gradients: grads.map(Fixtures.flat),
                                      learningRate: Double(Float(0.05)), beta1: Double(Float(0.8)),
                                      beta2: Double(Float(0.99)), epsilon: Double(Float(1e-6)))
        var state = adam.initialState(for: theta)
        for k in 0..<5 {
            (theta, state) = adam.update(theta, gradients: grads[k], state: state)
            let got = Fixtures.flat(theta)
            for i in 0..<got.count { #expect(abs(got[i] - reference[k][i]) < 2e-6, "step \(k + 1), element \(i)") }
        }
    }

    @Test func firstStepMovesEachCoordinateByLearningRateTimesSignOfGradient() {
        let lr = 0.001
        let adam = Adam<Double>(learningRate: lr)
        let theta = Fixtures.parameters(Double.self)
        let g = Fixtures.gradients(like: theta, step: 1)
        let next = adam.update(theta, gradients: g, state: adam.initialState(for: theta)).parameters
        for (before, (after, grad)) in zip(Fixtures.flat(theta), zip(Fixtures.flat(next), Fixtures.flat(g))) {
            // Bias correction makes m̂ = g and v̂ = g², so the step is lr·g/(|g| + ε).
            let expectedStep = -lr * (grad > 0 ? 1.0 : -1.0)
            #expect(abs((after - before) - expectedStep) < lr * 1e-6)
        }
    }

    @Test func minimisesAnIllConditionedQuadraticToNearZero() {
        // f(θ) = ½ Σ aᵢ (θᵢ − cᵢ)² with curvatures spanning four orders of magnitude.
        let a = Tensor<Double>(shape: [6], scalars: [0.01, 0.1, 1, 10, 100, 3])
        let c = Tensor<Double>(shape: [6], scalars: [1, -2, 3, -0.5, 0.25, 0])
        func loss(_ p: Parameters<Tensor<Double>>) -> Double {
            let d = p["x"] - c
            return 0.5 * (a * d * d).sum().scalar
        }
        var adam = Adam<Double>(learningRate: 0.1)
        var theta = Parameters([("x", Tensor<Double>(zeros: [6]))])
        var state = adam.initialState(for: theta)
        let initial = loss(theta)
        for step in 0..<3000 {
            if step == 2000 { adam.learningRate = 0.01 }   // a step schedule, set by the caller
            let g = theta.map { a * ($0 - c) }
            (theta, state) = adam.update(theta, gradients: g, state: state)
        }
        #expect(initial > 1)
        #expect(loss(theta) < 1e-6)
        #expect(theta["x"].scalars.enumerated().allSatisfy { abs($1 - c.scalars[$0]) < 1e-2 })
    }

    @Test func stateTensorsAreNamedStepThenFirstThenSecondMoments() {
        let adam = Adam<Float>(learningRate: 0.1)
        let theta = Fixtures.parameters(Float.self)
        #expect(adam.stateTensors(adam.initialState(for: theta)).names == [
            "adam.step",
            "adam.m.layer.weight", "adam.m.layer.bias", "adam.m.scale",
            "adam.v.layer.weight", "adam.v.layer.bias", "adam.v.scale",
        ])
    }
}

/// The fused update computes each element exactly as the paper's formulas written with
/// whole-tensor operations would.
@Suite struct AdamFusedUpdateTests {
    @Test func fusedUpdateIsBitIdenticalToWholeTensorFormulas() {
        let adam = Adam<Float>(learningRate: 0.003)
        var theta = Fixtures.parameters(Float.self)
        var state = adam.initialState(for: theta)
        for step in 1...4 {
            let g = Fixtures.gradients(like: theta, step: step)
            let (next, nextState) = adam.update(theta, gradients: g, state: state)
            // The same formulas as whole-tensor kernels, with Adam's own bias-correction scales.
            let t = step
            let stepScale = Float(Double(adam.learningRate) / (1 - binaryPower(Double(adam.beta1), t)))
            let varianceScale = Float(1 / (1 - binaryPower(Double(adam.beta2), t)))
            for i in 0..<theta.count {
                let m = state.firstMoment.values[i] * adam.beta1 + g.values[i] * (1 - adam.beta1)
                let v = state.secondMoment.values[i] * adam.beta2 + g.values[i].map(.square) * (1 - adam.beta2)
                let expected = theta.values[i] - (m * stepScale) / ((v * varianceScale).map(.sqrt) + adam.epsilon)
                #expect(nextState.firstMoment.values[i] == m, "step \(step) m[\(i)]")
                #expect(nextState.secondMoment.values[i] == v, "step \(step) v[\(i)]")
                #expect(next.values[i] == expected, "step \(step) θ[\(i)]")
            }
            (theta, state) = (next, nextState)
        }
    }
}

/// Repeated squaring, as Adam computes βᵗ.
private func binaryPower(_ base: Double, _ exponent: Int) -> Double {
    var result = 1.0, square = base, e = exponent
    while e > 0 {
        if e & 1 == 1 { result *= square }
        e >>= 1
        if e > 0 { square *= square }
    }
    return result
}
