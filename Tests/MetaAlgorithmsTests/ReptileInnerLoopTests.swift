import Testing
import Foundation
import MetaTensor
import MetaAutodiff
import MetaNN
import MetaRandom
import MetaTasks
import MetaAlgorithms
import MetaTestKit

/// Reptile's inner loop as the paper's scripts run it: Adam with β₁ = 0 on mini-batches drawn
/// pass by pass without replacement; the meta step size annealed linearly.
@Suite struct ReptileInnerLoopTests {
    static let model = SineMLP(hidden: [6, 5])
    static let task: Task<Double> = SinusoidTasks(supportPoints: 10, queryPoints: 5).task(seed: 1, iteration: 0, index: 0, split: .train)

    @Test func miniBatchesTakeEveryExampleOncePerPassInAKeyedOrder() {
        let batches = Reptile.miniBatches(count: 75, size: 25, steps: 3, key: 7)
        #expect(batches.map(\.count) == [25, 25, 25])
        #expect(batches.flatMap { $0 }.sorted() == Array(0..<75))
        #expect(batches.flatMap { $0 } != Array(0..<75))
        #expect(Reptile.miniBatches(count: 75, size: 25, steps: 3, key: 7) == batches)
        #expect(Reptile.miniBatches(count: 75, size: 25, steps: 3, key: 8) != batches)
        // A batch larger than the set spans passes: five examples in a batch of 25, five times each.
        let large = Reptile.miniBatches(count: 5, size: 25, steps: 2, key: 7)
        for batch in large { #expect((0..<5).allSatisfy { i in batch.filter { $0 == i }.count == 5 }) }
    }

    /// With β₁ = 0, step t moves θ by α g_t / (√v̂_t + ε), v_t = β₂ v_{t−1} + (1 − β₂) g_t², v̂_t = v_t / (1 − β₂ᵗ).
    @Test func adamWithBetaOneZeroStepsByTheGradientOverItsRunningRMS() {
        let inner = InnerLoop(steps: 4, learningRate: 0.01, optimizer: .adam(beta1: 0), batchSize: 4)
        let theta0 = Self.model.initialParameters(seed: 3, as: Double.self)
        let input = AdaptationInput(Self.task)
        let path = Reptile.trajectory(model: Self.model, parameters: theta0, input: input, inner: inner, steps: 4)
        #expect(path.count == 5)

        let batches = Reptile.miniBatches(count: 10, size: 4, steps: 4, key: ABML.sampleKey(input))
        guard case let .regression(y) = Self.task.supportTargets else { Issue.record("not regression"); return }
        var theta = theta0.values.flatMap(\.scalars)
        var v = [Double](repeating: 0, count: theta.count)
        let beta2 = 0.999
        for (t, batch) in batches.enumerated() {
            let x = Tensor.concatenate(batch.map { Self.task.supportInputs.slice(axis: 0, start: $0, length: 1) }, axis: 0)
            let targets = Tensor.concatenate(batch.map { y.slice(axis: 0, start: $0, length: 1) }, axis: 0)
            var offset = 0
            let current = Parameters(layout: theta0.layout, values: theta0.values.map { p -> Tensor<Double> in
                defer { offset += p.count }
                return Tensor(shape: p.shape, scalars: Array(theta[offset..<offset + p.count]))
            })
            let leaves = current.map { Variable(differentiable: $0) }
            let loss = TaskLoss.loss(Self.model.apply(leaves, Variable(x)), .regression(targets))
            let g = gradients(of: loss, withRespectTo: leaves.values).flatMap(\.value.scalars)
            let correction = 1 - Foundation.pow(beta2, Double(t + 1))
            for i in theta.indices {
                v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i]
                theta[i] -= 0.01 * g[i] / ((v[i] / correction).squareRoot() + 1e-8)
            }
            #expect(GradientCheck.relativeError(path[t + 1].values.flatMap(\.scalars), theta) < 1e-10, "step \(t + 1)")
        }
    }

    /// Reptile's meta-gradient is θ − φ with φ the end of the same trajectory the evaluation scores.
    @Test func taskStepMovesTowardTheEndOfTheInnerTrajectory() {
        let inner = InnerLoop(steps: 3, learningRate: 0.01, optimizer: .adam(beta1: 0), batchSize: 4)
        let theta = Self.model.initialParameters(seed: 3, as: Double.self)
        let phi = Reptile.trajectory(model: Self.model, parameters: theta, input: AdaptationInput(Self.task), inner: inner, steps: 3).last!
        let step = Reptile.taskStep(model: Self.model, parameters: theta, task: Self.task, inner: inner)
        #expect(step.metaGradient == theta.zip(phi) { $0 - $1 })
        #expect(step.metaGradient != Reptile.taskStep(model: Self.model, parameters: theta, task: Self.task,
                                                      inner: InnerLoop(steps: 3, learningRate: 0.01)).metaGradient)
    }

    @Test func theMetaStepSizeAnnealsLinearlyAsTheReferenceScheduleDoes() throws {
        var c = RunConfiguration.presets["sine-maml"]!
        c.algorithm = .reptile
        c.inner = InnerLoop(steps: 2, learningRate: 0.02)
        c.outerOptimizer = .sgd(learningRate: 1)
        c.finalOuterLearningRate = 0
        c.iterations = 100
        #expect(c.outerOptimizer(iteration: 0).learningRate == 1)
        #expect(c.outerOptimizer(iteration: 50).learningRate == 0.5)
        #expect(abs(c.outerOptimizer(iteration: 99).learningRate - 0.01) < 1e-15)
        var constant = c
        constant.finalOuterLearningRate = nil
        #expect(constant.outerOptimizer(iteration: 99).learningRate == 1)

        // The trainer steps iteration 75 at a quarter of the initial rate: θ ← θ − ¼ mean(θ − φ).
        let trainer = try MetaTrainer<Double>(configuration: c)
        var state = trainer.initialState()
        state.iteration = 75
        let (next, _) = trainer.step(state)
        let results = (0..<c.metaBatchSize).map { trainer.taskResult(parameters: state.parameters, iteration: 75, index: $0) }
        let mean = MetaGradient.mean(results.map(\.metaGradient))
        let expected = state.parameters.zip(mean) { $0 - $1 * 0.25 }
        #expect(GradientCheck.relativeError(next.parameters.values.flatMap(\.scalars), expected.values.flatMap(\.scalars)) < 1e-12)
    }
}
