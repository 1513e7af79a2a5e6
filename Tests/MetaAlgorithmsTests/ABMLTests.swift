import Testing
import MetaTensor
import MetaAutodiff
import MetaNN
import MetaRandom
import MetaTasks
import MetaAlgorithms

/// ABML as a learner: keyed sampling, shards, predictions.
@Suite struct ABMLTests {
    static let model = SineMLP(hidden: [8, 8])
    static let inner = InnerLoop(steps: 2, learningRate: 0.01, samples: 3)
    static let family = AmbiguousTasks(supportPoints: 5, queryPoints: 10)

    static func tasks(_ n: Int, iteration: UInt64 = 0) -> [Task<Float>] {
        (0..<n).map { family.task(seed: 2, iteration: iteration, index: UInt32($0), split: .train, as: Float.self) }
    }

    static func bits(_ shard: ShardResult<Float>) -> [[UInt32]] {
        shard.blockSums.flatMap { $0.values.map { $0.scalars.map(\.bitPattern) } }
    }

    /// The reparameterisation noise is keyed by the task, the inner step and the sample, so a
    /// task's contribution does not depend on which shard computes it or what else is in it.
    @Test func shardResultsAreBitIdenticalHoweverTheMetaBatchIsSplit() {
        let learner = ABMLLearner()
        let p = learner.initialParameters(model: Self.model, seed: 1, as: Float.self)
        let all = Self.tasks(8)
        let whole = learner.shardResult(model: Self.model, parameters: p, tasks: all, inner: Self.inner, traced: nil)
        let halves = [all[0..<4], all[4..<8]].map {
            learner.shardResult(model: Self.model, parameters: p, tasks: Array($0), inner: Self.inner, traced: nil)
        }
        #expect(Self.bits(whole) == halves.flatMap(Self.bits))
        #expect(whole.losses == halves.flatMap(\.losses))
        // Computed in the other order, the first block is still the same.
        let reversed = learner.shardResult(model: Self.model, parameters: p, tasks: Array(all[4..<8]) + Array(all[0..<4]),
                                           inner: Self.inner, traced: nil)
        #expect(reversed.losses == halves[1].losses + halves[0].losses)
    }

    @Test func eachTaskStepAndSampleHasItsOwnNoise() {
        let shapes = [[3, 2], [4]]
        let a: [[Tensor<Double>]] = ABML.noise(for: 7, shapes: shapes, slot: 0, samples: 2)
        let again: [[Tensor<Double>]] = ABML.noise(for: 7, shapes: shapes, slot: 0, samples: 2)
        let nextStep: [[Tensor<Double>]] = ABML.noise(for: 7, shapes: shapes, slot: 1, samples: 2)
        let otherTask: [[Tensor<Double>]] = ABML.noise(for: 8, shapes: shapes, slot: 0, samples: 2)
        #expect(a.map { $0.map(\.scalars) } == again.map { $0.map(\.scalars) })
        #expect(a[0][0] != a[1][0], "two samples drew the same noise")
        #expect(a[0][0] != nextStep[0][0] && a[0][0] != otherTask[0][0])
        let t = Self.tasks(2)
        #expect(ABML.sampleKey(AdaptationInput(t[0])) == ABML.sampleKey(AdaptationInput(t[0])))
        #expect(ABML.sampleKey(AdaptationInput(t[0])) != ABML.sampleKey(AdaptationInput(t[1])))
    }

    /// Predictions are the mean over distinct posterior draws, after each inner step.
    @Test func thePredictionIsTheMeanOfDistinctPosteriorDraws() {
        let learner = ABMLLearner()
        var p = learner.initialParameters(model: Self.model, seed: 1, as: Float.self)
        // A wide prior, so that draws differ visibly.
        for (i, name) in p.names.enumerated() where name.hasPrefix(ABML.logSigmaPrefix) { p.values[i] = p.values[i] * 0 + -1 }
        let input = AdaptationInput(Self.tasks(1)[0])
        let draws = ABML.sampleOutputs(model: Self.model, parameters: p, input: input, inner: Self.inner, steps: 2)
        let outputs = learner.queryOutputs(model: Self.model, parameters: p, input: input, inner: Self.inner, steps: 2)
        #expect(draws.count == 3 && outputs.count == 3 && draws.allSatisfy { $0.count == Self.inner.samples })
        for (k, step) in draws.enumerated() {
            #expect(step[0] != step[1], "step \(k): two draws predicted the same")
            let mean = step.map { $0.scalars }.reduce([Float](repeating: 0, count: 10)) { zip($0, $1).map(+) }.map { $0 / 3 }
            #expect(zip(mean, outputs[k].scalars).allSatisfy { abs($0 - $1) <= 1e-5 * max(1, abs($1)) })
        }
        // Adaptation moves the predictions.
        #expect(outputs[0] != outputs[2])
    }

    /// With `inner.residual_noise` a task's noise variance is e^{2ℓ} + e^{κ} · (the draws' mean
    /// squared residual on its support set): checked on a task whose queries are its support
    /// points, so the predictive's own draws give the residuals. Without it, e^ℓ for every task.
    @Test func theResidualNoiseWidensTheLearnedNoiseByTheSupportResidual() {
        let inner = InnerLoop(steps: 2, learningRate: 0.01, samples: 3, learnedNoise: 0.5, residualNoise: true)
        var p = ABML.initialParameters(model: Self.model, seed: 1, inner: inner, as: Double.self)
        p.values[p.count - 1] = Tensor(shape: [1], scalars: [0.8])    // κ: e^0.8 ≈ 2.2
        let task: Task<Double> = Self.family.task(seed: 2, iteration: 0, index: 0, split: .train)
        let input = AdaptationInput(supportInputs: task.supportInputs, supportTargets: task.supportTargets, queryInputs: task.supportInputs)
        guard case let .regression(y) = task.supportTargets else { Issue.record("not regression"); return }
        let (draws, noise) = ABML.predictive(model: Self.model, parameters: p, input: input, inner: inner, steps: 2)
        var residual = 0.0
        for d in draws {
            for (prediction, target) in zip(d.scalars, y.scalars) { residual += (prediction - target) * (prediction - target) / 15 }
        }
        let expected = (0.25 + Foundation.exp(0.8) * residual).squareRoot()
        #expect(noise.count == 5 && noise.allSatisfy { abs($0 - expected) < 1e-9 * expected }, "noise \(noise), expected \(expected)")
        #expect(residual > 0.1)
        var constant = inner
        constant.residualNoise = false
        let plain = ABML.initialParameters(model: Self.model, seed: 1, inner: constant, as: Double.self)
        #expect(ABML.predictive(model: Self.model, parameters: plain, input: input, inner: constant, steps: 2).noise.allSatisfy { abs($0 - 0.5) < 1e-12 })
    }

    /// A query's leverage is its squared distance from the support inputs' mean over their sum
    /// of squared deviations: support −1, 0, 1 (mean 0, sum 2), queries 0, 2, −3 give 0, 2, 4.5.
    @Test func theLeverageIsTheSquaredDistanceFromTheSupportMeanOverTheSupportsSpread() {
        let h = ABML.leverages(support: Tensor<Double>(shape: [3, 1], scalars: [-1, 0, 1]),
                               query: Tensor<Double>(shape: [3, 1], scalars: [0, 2, -3]))
        #expect(h.shape == [3, 1] && h.scalars == [0, 2, 4.5])
        // Shifted support: the mean moves with it (support 1, 2, 6: mean 3, sum 14).
        let shifted = ABML.leverages(support: Tensor<Double>(shape: [3, 1], scalars: [1, 2, 6]),
                                     query: Tensor<Double>(shape: [2, 1], scalars: [3, 10]))
        #expect(shifted.scalars == [0, 49.0 / 14])
        #expect(ABML.leverages(support: Tensor<Double>(shape: [2, 1], scalars: [1, 1]), query: Tensor<Double>(shape: [1, 1], scalars: [4])).scalars == [0])
    }

    /// With `inner.leverage_noise` each query point's noise variance is the task's (here e^{2ℓ}
    /// and the residual's part) times 1 + e^γ · h(x): checked against the same predictive
    /// without the leverage.
    @Test func theLeverageNoiseWidensEachQueryPointsNoiseByItsLeverage() {
        let inner = InnerLoop(steps: 2, learningRate: 0.01, samples: 3, learnedNoise: 0.5, predictiveObjective: true, residualNoise: true,
                              leverageNoise: true)
        var p = ABML.initialParameters(model: Self.model, seed: 1, inner: inner, as: Double.self)
        #expect(p.names.suffix(3) == [ABML.logNoiseName, ABML.residualScaleName, ABML.leverageScaleName])
        p.values[p.count - 1] = Tensor(shape: [1], scalars: [0.6])    // γ
        let task: Task<Double> = Self.family.task(seed: 2, iteration: 0, index: 0, split: .train)
        let input = AdaptationInput(task)
        let (draws, noise) = ABML.predictive(model: Self.model, parameters: p, input: input, inner: inner, steps: 2)
        var plainInner = inner
        plainInner.leverageNoise = false
        let plain = Parameters(Array(zip(p.names.dropLast(), p.values.dropLast())))
        let (plainDraws, taskNoise) = ABML.predictive(model: Self.model, parameters: plain, input: input, inner: plainInner, steps: 2)
        #expect(draws == plainDraws)
        let h = ABML.leverages(support: task.supportInputs, query: task.queryInputs).scalars
        #expect(noise.count == 10 && Set(noise).count > 1)
        for j in 0..<10 {
            let expected = taskNoise[j] * (1 + Foundation.exp(0.6) * h[j]).squareRoot()
            #expect(abs(noise[j] - expected) < 1e-9 * expected, "point \(j): \(noise[j]), expected \(expected)")
        }
    }

    /// A meta-batch split into shards gives the same bits with the per-point (leverage) noise.
    @Test func shardResultsWithTheLeverageNoiseAreBitIdenticalHoweverTheMetaBatchIsSplit() {
        let learner = ABMLLearner()
        let inner = InnerLoop(steps: 2, learningRate: 0.01, samples: 3, learnedNoise: 1, predictiveObjective: true, residualNoise: true,
                              noiseDegreesOfFreedom: 5, leverageNoise: true)
        let p = learner.initialParameters(model: Self.model, seed: 1, inner: inner, as: Float.self)
        #expect(p.names.last == ABML.leverageScaleName)
        let all = Self.tasks(8)
        let whole = learner.shardResult(model: Self.model, parameters: p, tasks: all, inner: inner, traced: nil)
        let halves = [all[0..<4], all[4..<8]].map {
            learner.shardResult(model: Self.model, parameters: p, tasks: Array($0), inner: inner, traced: nil)
        }
        #expect(Self.bits(whole) == halves.flatMap(Self.bits))
        #expect(whole.losses == halves.flatMap(\.losses))
        // The leverage's weight gets a meta-gradient.
        let gradient = ABML.taskStep(model: Self.model, parameters: p, task: all[0], inner: inner).metaGradient.values.last!
        #expect(gradient.scalars[0] != 0)
    }

    /// With a narrow prior (log σ −4) the KL's curvature in the means, 1/(N σ²) ≈ 600, makes
    /// plain inner steps of α = 0.01 overshoot (each step after the first multiplies the means'
    /// distance from the prior by about 1 − 6); preconditioned by σ² (`inner.precondition_kl`)
    /// the KL part of a step shrinks that distance by the factor 1 − α/N instead, so the
    /// predictions after five steps stay near those after one.
    @Test func thePreconditionedKLKeepsANarrowPriorsInnerStepsFromOvershooting() {
        var inner = InnerLoop(steps: 5, learningRate: 0.01, samples: 2)
        let p = ABML.initialParameters(model: Self.model, seed: 3, inner: inner, as: Double.self)
        #expect(p.values[p.count - 1].scalars.allSatisfy { $0 == -4 })
        let task: Task<Double> = Self.family.task(seed: 2, iteration: 0, index: 1, split: .train)
        func movement(preconditioned: Bool) -> (one: Double, five: Double) {
            inner.preconditionedKL = preconditioned
            let outputs = ABML.sampleOutputs(model: Self.model, parameters: p, input: AdaptationInput(task), inner: inner, steps: 5)
            func distance(_ k: Int) -> Double { zip(outputs[k][0].scalars, outputs[0][0].scalars).map { abs($0 - $1) }.max()! }
            return (distance(1), distance(5))
        }
        let (plain, preconditioned) = (movement(preconditioned: false), movement(preconditioned: true))
        #expect(plain.one == preconditioned.one, "the KL's gradient is zero at the prior, so the first steps agree")
        #expect(preconditioned.five < 10 * preconditioned.one, "preconditioned: \(preconditioned)")
        #expect(plain.five > 100 * plain.one, "plain: \(plain)")
    }

    /// Classification: the outputs are log mean probabilities, so the default softmax gives the mean.
    @Test func classifierOutputsAreTheLogOfTheMeanProbabilities() {
        let a = Tensor<Double>(shape: [1, 3], scalars: [0, 1, 2]), b = Tensor<Double>(shape: [1, 3], scalars: [2, 0, -1])
        let outputs = ABML.predictiveOutputs([a, b], classification: true)
        let probabilities = ABMLLearner().classProbabilities(scores: outputs.scalars)
        func softmax(_ x: [Double]) -> [Double] { let e = x.map { Foundation.exp($0) }; return e.map { $0 / e.reduce(0, +) } }
        let expected = zip(softmax(a.scalars), softmax(b.scalars)).map { ($0 + $1) / 2 }
        #expect(zip(probabilities, expected).allSatisfy { abs($0 - $1) < 1e-12 })
    }
}

import Foundation
