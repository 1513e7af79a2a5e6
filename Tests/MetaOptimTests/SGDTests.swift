import Testing
import MetaTensor
import MetaNN
import MetaOptim

@Suite struct SGDTests {
    @Test func plainStepIsExactlyThetaMinusLearningRateTimesGradientInDouble() {
        let theta = Fixtures.parameters(Double.self)
        let g = Fixtures.gradients(like: theta, step: 1)
        let sgd = SGD<Double>(learningRate: 0.1)
        let (next, state) = sgd.update(theta, gradients: g, state: sgd.initialState(for: theta))
        for i in 0..<theta.count {
            let expected = zip(theta.values[i].scalars, g.values[i].scalars).map { p, g in p - g * 0.1 }
            #expect(next.values[i].scalars == expected)
            #expect(next.values[i].shape == theta.values[i].shape)
        }
        #expect(next.names == theta.names)
        #expect(state.step == 1)
        #expect(state.velocity == nil)
    }

    @Test func plainStepIsExactlyThetaMinusLearningRateTimesGradientInFloat() {
        let theta = Fixtures.parameters(Float.self)
        let g = Fixtures.gradients(like: theta, step: 2)
        let lr: Float = 0.03
        let sgd = SGD<Float>(learningRate: lr)
        let next = sgd.update(theta, gradients: g, state: sgd.initialState(for: theta)).parameters
        for i in 0..<theta.count {
            #expect(next.values[i].scalars == zip(theta.values[i].scalars, g.values[i].scalars).map { p, g in p - g * lr })
        }
    }

    /// θ₀ = (1, −2), η = 0.1, μ = 0.9, g = (1, 2), (0.5, −1), (−1, 0); worked by hand:
    /// v₁ = (1, 2)      θ₁ = (0.9, −2.2)
    /// v₂ = (1.4, 0.8)  θ₂ = (0.76, −2.28)
    /// v₃ = (0.26, 0.72) θ₃ = (0.734, −2.352)
    @Test func momentumMatchesHandComputedThreeStepSequence() {
        let sgd = SGD<Double>(learningRate: 0.1, momentum: 0.9)
        var theta = Parameters([("w", Tensor<Double>(shape: [2], scalars: [1, -2]))])
        var state = sgd.initialState(for: theta)
        let grads: [[Double]] = [[1, 2], [0.5, -1], [-1, 0]]
        let expectedTheta: [[Double]] = [[0.9, -2.2], [0.76, -2.28], [0.734, -2.352]]
        let expectedVelocity: [[Double]] = [[1, 2], [1.4, 0.8], [0.26, 0.72]]
        for k in 0..<3 {
            let g = Parameters([("w", Tensor<Double>(shape: [2], scalars: grads[k]))])
            (theta, state) = sgd.update(theta, gradients: g, state: state)
            for j in 0..<2 {
                #expect(abs(theta["w"].scalars[j] - expectedTheta[k][j]) < 1e-12)
                #expect(abs(state.velocity!["w"].scalars[j] - expectedVelocity[k][j]) < 1e-12)
            }
            #expect(state.step == k + 1)
        }
    }

    /// Same inputs with Nesterov: d = g + μ·v; by hand
    /// d₁ = (1.9, 3.8)    θ₁ = (0.81, −2.38)
    /// d₂ = (1.76, −0.28) θ₂ = (0.634, −2.352)
    /// d₃ = (−0.766, 0.648) θ₃ = (0.7106, −2.4168)
    @Test func nesterovMomentumMatchesHandComputedThreeStepSequence() {
        let sgd = SGD<Double>(learningRate: 0.1, momentum: 0.9, nesterov: true)
        var theta = Parameters([("w", Tensor<Double>(shape: [2], scalars: [1, -2]))])
        var state = sgd.initialState(for: theta)
        let grads: [[Double]] = [[1, 2], [0.5, -1], [-1, 0]]
        let expected: [[Double]] = [[0.81, -2.38], [0.634, -2.352], [0.7106, -2.4168]]
        for k in 0..<3 {
            let g = Parameters([("w", Tensor<Double>(shape: [2], scalars: grads[k]))])
            (theta, state) = sgd.update(theta, gradients: g, state: state)
            for j in 0..<2 { #expect(abs(theta["w"].scalars[j] - expected[k][j]) < 1e-12) }
        }
    }

    /// PyTorch's weight decay and dampening, lr 0.1, μ 0.9, d 0.9, λ 0.1, θ₀ = (1, −2); by hand
    /// g'ₜ = gₜ + λθₜ₋₁, v₁ = g'₁, vₜ = μvₜ₋₁ + (1 − d)g'ₜ, θₜ = θₜ₋₁ − 0.1·vₜ:
    /// v₁ = (1.1, 1.8)               θ₁ = (0.89, −2.18)
    /// v₂ = (1.0489, 1.4982)         θ₂ = (0.78511, −2.32982)
    /// v₃ = (0.8518611, 1.3250818)   θ₃ = (0.69992389, −2.46232818)
    @Test func dampenedMomentumWithWeightDecayMatchesHandComputedThreeStepSequence() {
        let sgd = SGD<Double>(learningRate: 0.1, momentum: 0.9, dampening: 0.9, weightDecay: 0.1)
        var theta = Parameters([("w", Tensor<Double>(shape: [2], scalars: [1, -2]))])
        var state = sgd.initialState(for: theta)
        let grads: [[Double]] = [[1, 2], [0.5, -1], [-1, 0]]
        let expectedTheta: [[Double]] = [[0.89, -2.18], [0.78511, -2.32982], [0.69992389, -2.46232818]]
        let expectedVelocity: [[Double]] = [[1.1, 1.8], [1.0489, 1.4982], [0.8518611, 1.3250818]]
        for k in 0..<3 {
            let g = Parameters([("w", Tensor<Double>(shape: [2], scalars: grads[k]))])
            (theta, state) = sgd.update(theta, gradients: g, state: state)
            for j in 0..<2 {
                #expect(abs(theta["w"].scalars[j] - expectedTheta[k][j]) < 1e-12, "step \(k + 1)")
                #expect(abs(state.velocity!["w"].scalars[j] - expectedVelocity[k][j]) < 1e-12, "step \(k + 1)")
            }
        }
    }

    @Test func stateTensorsAreNamedStepAndVelocityPerParameter() {
        let theta = Fixtures.parameters(Double.self)
        #expect(SGD<Double>(learningRate: 1).stateTensors(SGD<Double>(learningRate: 1).initialState(for: theta)).names
                == ["sgd.step"])
        let sgd = SGD<Double>(learningRate: 1, momentum: 0.5)
        #expect(sgd.stateTensors(sgd.initialState(for: theta)).names
                == ["sgd.step", "sgd.velocity.layer.weight", "sgd.velocity.layer.bias", "sgd.velocity.scale"])
    }
}
