import Testing
import MetaTensor
import MetaAutodiff
import MetaNN
import MetaRandom
import MetaTasks
import MetaAlgorithms
import MetaTestKit

/// ABML's evidence lower bound and meta-gradient against central finite differences, in Double.
@Suite struct ABMLGradientTests {
    static let model = SineMLP(hidden: [4, 3])

    /// A prior with every log σ moved off its initial value and its means perturbed, so that
    /// every term of the KL and of the reparameterisation is exercised.
    static func prior(seed: UInt64, learnedNoise: Double? = nil, residualNoise: Bool = false,
                      leverageNoise: Bool = false) -> Parameters<Tensor<Double>> {
        var p = ABML.initialParameters(model: model, seed: seed,
                                       inner: InnerLoop(steps: 1, learningRate: 0, learnedNoise: learnedNoise, residualNoise: residualNoise,
                                                        leverageNoise: leverageNoise),
                                       as: Double.self)
        var s = RandomStream(seed: seed, purpose: .testing)
        for (i, name) in p.names.enumerated() {
            let shape = p.values[i].shape
            p.values[i] = name.hasPrefix(ABML.logSigmaPrefix) ? s.uniformTensor(shape, low: -1.5, high: -0.5)
                                                              : p.values[i] + s.uniformTensor(shape, low: -0.2, high: 0.2)
        }
        return p
    }

    /// `p` with every value moved by a small random amount (a posterior away from the prior).
    static func moved(_ p: Parameters<Tensor<Double>>, seed: UInt64) -> Parameters<Tensor<Double>> {
        var s = RandomStream(seed: seed, purpose: .testing)
        return p.map { $0 + s.uniformTensor($0.shape, low: -0.3, high: 0.3) }
    }

    static let task: Task<Double> = AmbiguousTasks(supportPoints: 5, queryPoints: 6).task(seed: 1, iteration: 0, index: 0, split: .train)
    static var shapes: [[Int]] { model.initialParameters(seed: 1, as: Double.self).values.map(\.shape) }

    static func elbo(posterior: Parameters<Variable<Double>>, prior: Parameters<Variable<Double>>) -> Variable<Double> {
        ABML.objective(model: model, posterior: posterior, prior: prior, inputs: task.supportInputs, targets: task.supportTargets,
                       noise: ABML.noise(for: 42, shapes: shapes, slot: 0, samples: 3), klWeight: 2).loss
    }

    @Test func elboGradientWithRespectToThePosteriorMeansAndLogSigmasMatchesFiniteDifferences() {
        let p = Self.prior(seed: 3), q = Self.moved(p, seed: 4)
        let f: GradientCheck.Function = { v in Self.elbo(posterior: Parameters(layout: q.layout, values: v), prior: p.map { Variable($0) }) }
        #expect(GradientCheck.firstOrderError(of: f, at: q.values) < 1e-6)
        #expect(GradientCheck.secondOrderError(of: f, at: q.values, direction: Self.moved(p, seed: 5).values) < 1e-5)
    }

    @Test func elboGradientWithRespectToThePriorMeansAndLogSigmasMatchesFiniteDifferences() {
        let p = Self.prior(seed: 6), q = Self.moved(p, seed: 7)
        let f: GradientCheck.Function = { v in Self.elbo(posterior: q.map { Variable($0) }, prior: Parameters(layout: p.layout, values: v)) }
        #expect(GradientCheck.firstOrderError(of: f, at: p.values) < 1e-6)
        #expect(GradientCheck.secondOrderError(of: f, at: p.values, direction: Self.moved(p, seed: 8).values) < 1e-5)
    }

    /// The meta-gradient differentiates through two inner steps of the posterior (second order).
    @Test func secondOrderMetaGradientThroughTwoInnerStepsMatchesFiniteDifferences() {
        #expect(Self.metaGradientError(Self.prior(seed: 9), inner: InnerLoop(steps: 2, learningRate: 0.05, samples: 2, klWeight: 1.5)) < 1e-6)
    }

    /// The same with the posterior-predictive query objective and a learned observation noise
    /// (whose meta-gradient comes from the query term only).
    @Test func secondOrderMetaGradientOfThePredictiveObjectiveWithLearnedNoiseMatchesFiniteDifferences() {
        let inner = InnerLoop(steps: 2, learningRate: 0.05, samples: 3, klWeight: 1.5, learnedNoise: 0.6, predictiveObjective: true)
        let p = Self.prior(seed: 11, learnedNoise: 0.6)
        #expect(p.names.last == ABML.logNoiseName)
        #expect(Self.metaGradientError(p, inner: inner) < 1e-6)
    }

    /// The same with each task's noise widened by its support residual (`inner.residual_noise`):
    /// the residual is a function of the adapted posterior, so its meta-gradient runs through
    /// the inner steps too.
    @Test func secondOrderMetaGradientWithTheSupportResidualInTheNoiseMatchesFiniteDifferences() {
        let inner = InnerLoop(steps: 2, learningRate: 0.05, samples: 3, klWeight: 1.5, learnedNoise: 0.6, predictiveObjective: true,
                              residualNoise: true)
        let p = Self.prior(seed: 17, learnedNoise: 0.6, residualNoise: true)
        #expect(p.names.suffix(2) == [ABML.logNoiseName, ABML.residualScaleName])
        #expect(Self.metaGradientError(p, inner: inner) < 1e-6)
    }

    /// The task's log noise against finite differences in the posterior and in (ℓ, κ), first
    /// and second order.
    @Test func taskLogNoiseGradientWithRespectToPosteriorAndNoiseParametersMatchesFiniteDifferences() {
        let p = Self.prior(seed: 18, learnedNoise: 0.5, residualNoise: true), q = Self.moved(p, seed: 19)
        let noise: [[Tensor<Double>]] = ABML.noise(for: 44, shapes: Self.shapes, slot: 0, samples: 3)
        func logNoise(_ q: Parameters<Variable<Double>>, _ l: Variable<Double>, _ k: Variable<Double>) -> Variable<Double> {
            ABML.taskLogNoise(model: Self.model, posterior: q, supportInputs: Self.task.supportInputs, supportTargets: Self.task.supportTargets,
                              noise: noise, logNoise: l, logResidualScale: k)!.sum()
        }
        let (l, k) = (p.values[p.count - 2], p.values[p.count - 1])
        let posterior: GradientCheck.Function = { v in logNoise(Parameters(layout: q.layout, values: v), Variable(l), Variable(k)) }
        #expect(GradientCheck.firstOrderError(of: posterior, at: q.values) < 1e-6)
        #expect(GradientCheck.secondOrderError(of: posterior, at: q.values, direction: Self.moved(p, seed: 20).values) < 1e-5)
        let parameters: GradientCheck.Function = { v in logNoise(q.map { Variable($0) }, v[0], v[1]) }
        let direction = [Tensor<Double>(shape: [1], scalars: [0.7]), Tensor<Double>(shape: [1], scalars: [-0.4])]
        #expect(GradientCheck.firstOrderError(of: parameters, at: [l, k]) < 1e-6)
        #expect(GradientCheck.secondOrderError(of: parameters, at: [l, k], direction: direction) < 1e-5)
    }

    /// With `inner.leverage_noise` each query point's log noise against finite differences in
    /// the posterior and in (ℓ, κ, γ), first and second order (summed over the points with
    /// distinct weights, so that every point's term counts).
    @Test func perPointLogNoiseGradientWithTheLeverageMatchesFiniteDifferences() {
        let p = Self.prior(seed: 33, learnedNoise: 0.5, residualNoise: true, leverageNoise: true), q = Self.moved(p, seed: 34)
        #expect(p.names.suffix(3) == [ABML.logNoiseName, ABML.residualScaleName, ABML.leverageScaleName])
        let noise: [[Tensor<Double>]] = ABML.noise(for: 47, shapes: Self.shapes, slot: 0, samples: 3)
        let weights = Variable(Tensor<Double>(shape: [6, 1], scalars: [1, -0.5, 2, 0.3, -1.2, 0.8]))
        func logNoise(_ q: Parameters<Variable<Double>>, _ l: Variable<Double>, _ k: Variable<Double>, _ g: Variable<Double>) -> Variable<Double> {
            let perPoint = ABML.taskLogNoise(model: Self.model, posterior: q, supportInputs: Self.task.supportInputs,
                                             supportTargets: Self.task.supportTargets, noise: noise, logNoise: l, logResidualScale: k,
                                             queryInputs: Self.task.queryInputs, logLeverageScale: g)!
            return (perPoint * weights).sum()
        }
        let (l, k, g) = (p.values[p.count - 3], p.values[p.count - 2], p.values[p.count - 1] + 0.4)
        let posterior: GradientCheck.Function = { v in logNoise(Parameters(layout: q.layout, values: v), Variable(l), Variable(k), Variable(g)) }
        #expect(GradientCheck.firstOrderError(of: posterior, at: q.values) < 1e-6)
        #expect(GradientCheck.secondOrderError(of: posterior, at: q.values, direction: Self.moved(p, seed: 35).values) < 1e-5)
        let parameters: GradientCheck.Function = { v in logNoise(q.map { Variable($0) }, v[0], v[1], v[2]) }
        let direction = [0.7, -0.4, 0.9].map { Tensor<Double>(shape: [1], scalars: [$0]) }
        #expect(GradientCheck.firstOrderError(of: parameters, at: [l, k, g]) < 1e-6)
        #expect(GradientCheck.secondOrderError(of: parameters, at: [l, k, g], direction: direction) < 1e-5)
    }

    /// The meta-gradient with per-point noise (the leverage on top of the support residual,
    /// Student-t) through two inner steps, second order, against central differences.
    @Test func secondOrderMetaGradientWithTheLeverageInTheNoiseMatchesFiniteDifferences() {
        let inner = InnerLoop(steps: 2, learningRate: 0.05, samples: 3, klWeight: 1.5, learnedNoise: 0.6, predictiveObjective: true,
                              residualNoise: true, noiseDegreesOfFreedom: 3.5, leverageNoise: true)
        var p = Self.prior(seed: 36, learnedNoise: 0.6, residualNoise: true, leverageNoise: true)
        p.values[p.count - 1] = p.values[p.count - 1] + 0.5
        #expect(Self.metaGradientError(p, inner: inner) < 1e-6)
        var gaussian = inner
        gaussian.noiseDegreesOfFreedom = nil
        #expect(Self.metaGradientError(p, inner: gaussian) < 1e-6)
    }

    /// The predictive objective (with the learned noise) against finite differences in the
    /// posterior (means, log s) and, separately, in the prior and the noise.
    @Test func predictiveObjectiveGradientWithRespectToPosteriorPriorAndNoiseMatchesFiniteDifferences() {
        let p = Self.prior(seed: 12, learnedNoise: 0.5), q = Self.moved(p, seed: 13)
        func objective(_ q: Parameters<Variable<Double>>, _ p: Parameters<Variable<Double>>) -> Variable<Double> {
            ABML.objective(model: Self.model, posterior: q, prior: p, inputs: Self.task.queryInputs, targets: Self.task.queryTargets,
                           noise: ABML.noise(for: 43, shapes: Self.shapes, slot: 0, samples: 3), klWeight: 2, predictive: true,
                           logNoise: p.values.last!).loss
        }
        let posterior: GradientCheck.Function = { v in objective(Parameters(layout: q.layout, values: v), p.map { Variable($0) }) }
        #expect(GradientCheck.firstOrderError(of: posterior, at: q.values) < 1e-6)
        #expect(GradientCheck.secondOrderError(of: posterior, at: q.values, direction: Self.moved(p, seed: 14).values) < 1e-5)
        let prior: GradientCheck.Function = { v in objective(q.map { Variable($0) }, Parameters(layout: p.layout, values: v)) }
        #expect(GradientCheck.firstOrderError(of: prior, at: p.values) < 1e-6)
        #expect(GradientCheck.secondOrderError(of: prior, at: p.values, direction: Self.moved(p, seed: 15).values) < 1e-5)
    }

    /// The predictive NLL is the mean negative log density of the mixture over draws, computed
    /// independently by ``PredictiveMixture``; for classification, of the mean probability.
    @Test func predictiveNegativeLogLikelihoodIsTheMixturesNegativeLogDensity() {
        var s = RandomStream(seed: 16, purpose: .testing)
        let draws = (0..<4).map { _ in s.uniformTensor([6, 1], low: -2, high: 2) as Tensor<Double> }
        let y = s.uniformTensor([6, 1], low: -2, high: 2) as Tensor<Double>
        let logNoise = Foundation.log(0.4)
        let nll = ABML.predictiveNegativeLogLikelihood(draws.map { Variable($0) }, .regression(y),
                                                       logNoise: Variable(Tensor<Double>(shape: [1], scalars: [logNoise]))).scalar
        let expected = (0..<6).map { j in
            -PredictiveMixture(means: draws.map { $0.scalars[j] }, standardDeviation: 0.4).logDensity(y.scalars[j])
        }.reduce(0, +) / 6
        #expect(abs(nll - expected) < 1e-12)
        // Without a learned noise, the known one.
        let known = ABML.predictiveNegativeLogLikelihood(draws.map { Variable($0) }, .regression(y)).scalar
        let expectedKnown = (0..<6).map { j in
            -PredictiveMixture(means: draws.map { $0.scalars[j] }, standardDeviation: ABML.noiseStandardDeviation).logDensity(y.scalars[j])
        }.reduce(0, +) / 6
        #expect(abs(known - expectedKnown) < 1e-10)
        // Classification: −log of the draws' mean probability of the label.
        let logits = (0..<3).map { _ in s.uniformTensor([2, 4], low: -3, high: 3) as Tensor<Double> }
        let labels = [1, 3]
        func softmax(_ x: ArraySlice<Double>) -> [Double] { let e = x.map { Foundation.exp($0) }; return e.map { $0 / e.reduce(0, +) } }
        let expectedClass = labels.enumerated().map { j, label in
            -Foundation.log(logits.map { softmax($0.scalars[(4 * j)..<(4 * j + 4)])[label] }.reduce(0, +) / 3)
        }.reduce(0, +) / 2
        let classNLL = ABML.predictiveNegativeLogLikelihood(logits.map { Variable($0) }, .classification(labels)).scalar
        #expect(abs(classNLL - expectedClass) < 1e-12)
    }

    /// `inner.noise_dof`: the predictive objective with Student-t noise and the residual-widened
    /// noise against finite differences in the posterior and in the prior and noise parameters,
    /// and the meta-gradient through two inner steps.
    @Test func studentTPredictiveObjectiveAndMetaGradientMatchFiniteDifferences() {
        let p = Self.prior(seed: 28, learnedNoise: 0.5, residualNoise: true), q = Self.moved(p, seed: 29)
        func objective(_ q: Parameters<Variable<Double>>, _ p: Parameters<Variable<Double>>) -> Variable<Double> {
            ABML.objective(model: Self.model, posterior: q, prior: p, inputs: Self.task.queryInputs, targets: Self.task.queryTargets,
                           noise: ABML.noise(for: 46, shapes: Self.shapes, slot: 0, samples: 3), klWeight: 2, predictive: true,
                           logNoise: p.values[p.count - 2] + p.values[p.count - 1] * 0.3, degreesOfFreedom: 3.5).loss
        }
        let posterior: GradientCheck.Function = { v in objective(Parameters(layout: q.layout, values: v), p.map { Variable($0) }) }
        #expect(GradientCheck.firstOrderError(of: posterior, at: q.values) < 1e-6)
        #expect(GradientCheck.secondOrderError(of: posterior, at: q.values, direction: Self.moved(p, seed: 30).values) < 1e-5)
        let prior: GradientCheck.Function = { v in objective(q.map { Variable($0) }, Parameters(layout: p.layout, values: v)) }
        #expect(GradientCheck.firstOrderError(of: prior, at: p.values) < 1e-6)
        #expect(GradientCheck.secondOrderError(of: prior, at: p.values, direction: Self.moved(p, seed: 31).values) < 1e-5)
        let inner = InnerLoop(steps: 2, learningRate: 0.05, samples: 3, klWeight: 1.5, learnedNoise: 0.6, predictiveObjective: true,
                              residualNoise: true, noiseDegreesOfFreedom: 3.5)
        #expect(Self.metaGradientError(p, inner: inner) < 1e-6)
    }

    /// The Student-t predictive NLL is the mixture's negative log density (``PredictiveMixture``
    /// with the same degrees of freedom).
    @Test func studentTPredictiveNegativeLogLikelihoodIsTheMixturesNegativeLogDensity() {
        var s = RandomStream(seed: 32, purpose: .testing)
        let draws = (0..<4).map { _ in s.uniformTensor([6, 1], low: -2, high: 2) as Tensor<Double> }
        let y = s.uniformTensor([6, 1], low: -3, high: 3) as Tensor<Double>
        let nll = ABML.predictiveNegativeLogLikelihood(draws.map { Variable($0) }, .regression(y),
                                                       logNoise: Variable(Tensor<Double>(shape: [1], scalars: [Foundation.log(0.4)])),
                                                       degreesOfFreedom: 4).scalar
        let expected = (0..<6).map { j in
            -PredictiveMixture(means: draws.map { $0.scalars[j] }, standardDeviation: 0.4, degreesOfFreedom: 4).logDensity(y.scalars[j])
        }.reduce(0, +) / 6
        #expect(abs(nll - expected) < 1e-12)
    }

    /// `inner.precondition_kl`: the inner surrogate's gradient is the KL's times the prior's
    /// variance e^{2λ} in every mean and the KL's in every log s.
    @Test func preconditionedKLGradientIsThePriorVarianceTimesTheKLsOnTheMeansAndTheKLsOnTheLogSigmas() {
        let p = Self.prior(seed: 21), q = Self.moved(p, seed: 22)
        func gradient(preconditioned: Bool) -> [Tensor<Double>] {
            let posterior = q.map { Variable(differentiable: $0) }
            let kl = ABML.klDivergence(posterior: posterior, prior: p.map { Variable($0) }, preconditioned: preconditioned)
            return gradients(of: kl, withRespectTo: posterior.values).map(\.value)
        }
        let (plain, preconditioned) = (gradient(preconditioned: false), gradient(preconditioned: true))
        let n = p.count / 2
        for i in 0..<n {
            let scaled = zip(plain[i].scalars, p.values[n + i].scalars).map { g, lambda in g * Foundation.exp(2 * lambda) }
            #expect(GradientCheck.relativeError(preconditioned[i].scalars, scaled) < 1e-12)
            #expect(GradientCheck.relativeError(preconditioned[n + i].scalars, plain[n + i].scalars) < 1e-12)
        }
    }

    /// The bound with the preconditioned KL (the inner steps' objective) against finite
    /// differences in the posterior and in the prior, first and second order.
    @Test func preconditionedBoundGradientWithRespectToPosteriorAndPriorMatchesFiniteDifferences() {
        let p = Self.prior(seed: 23), q = Self.moved(p, seed: 24)
        func bound(_ q: Parameters<Variable<Double>>, _ p: Parameters<Variable<Double>>) -> Variable<Double> {
            ABML.objective(model: Self.model, posterior: q, prior: p, inputs: Self.task.supportInputs, targets: Self.task.supportTargets,
                           noise: ABML.noise(for: 45, shapes: Self.shapes, slot: 0, samples: 3), klWeight: 2, preconditionedKL: true).loss
        }
        let posterior: GradientCheck.Function = { v in bound(Parameters(layout: q.layout, values: v), p.map { Variable($0) }) }
        #expect(GradientCheck.firstOrderError(of: posterior, at: q.values) < 1e-6)
        #expect(GradientCheck.secondOrderError(of: posterior, at: q.values, direction: Self.moved(p, seed: 25).values) < 1e-5)
        let prior: GradientCheck.Function = { v in bound(q.map { Variable($0) }, Parameters(layout: p.layout, values: v)) }
        #expect(GradientCheck.firstOrderError(of: prior, at: p.values) < 1e-6)
        #expect(GradientCheck.secondOrderError(of: prior, at: p.values, direction: Self.moved(p, seed: 26).values) < 1e-5)
    }

    /// The meta-gradient through three preconditioned inner steps (the KL's gradient is zero at
    /// the prior, so steps two and three carry it) against finite differences.
    @Test func secondOrderMetaGradientThroughPreconditionedInnerStepsMatchesFiniteDifferences() {
        let inner = InnerLoop(steps: 3, learningRate: 0.05, samples: 2, klWeight: 1.5, preconditionedKL: true)
        #expect(Self.metaGradientError(Self.prior(seed: 27), inner: inner) < 1e-6)
    }

    /// The largest relative error between `taskStep`'s meta-gradient and central differences of its loss.
    static func metaGradientError(_ p: Parameters<Tensor<Double>>, inner: InnerLoop) -> Double {
        let analytic = ABML.taskStep(model: Self.model, parameters: p, task: Self.task, inner: inner).metaGradient.values.flatMap(\.scalars)
        var numeric: [Double] = []
        let epsilon = 1e-6
        for k in 0..<p.count {
            for i in 0..<p.values[k].count {
                func loss(_ delta: Double) -> Double {
                    var shifted = p
                    shifted.values[k].withUnsafeMutableBufferPointer { $0[i] += delta }
                    return ABML.taskStep(model: Self.model, parameters: shifted, task: Self.task, inner: inner).loss
                }
                numeric.append((loss(epsilon) - loss(-epsilon)) / (2 * epsilon))
            }
        }
        return GradientCheck.relativeError(analytic, numeric)
    }

    /// First order drops the inner steps' Hessian terms: a different meta-gradient.
    @Test func firstOrderMetaGradientDiffersFromSecondOrder() {
        let p = Self.prior(seed: 10)
        let second = ABML.taskStep(model: Self.model, parameters: p, task: Self.task,
                                   inner: InnerLoop(steps: 2, learningRate: 0.05, samples: 2)).metaGradient.values.flatMap(\.scalars)
        let first = ABML.taskStep(model: Self.model, parameters: p, task: Self.task,
                                  inner: InnerLoop(steps: 2, learningRate: 0.05, firstOrder: true, samples: 2)).metaGradient.values.flatMap(\.scalars)
        #expect(GradientCheck.relativeError(first, second) > 1e-4)
    }

    @Test func klDivergenceIsTheClosedFormOfTwoGaussians() {
        let layout = ["w", ABML.logSigmaPrefix + "w"]
        func params(_ m: Double, _ logS: Double) -> Parameters<Variable<Double>> {
            Parameters(Array(zip(layout, [Variable(Tensor<Double>(shape: [1], scalars: [m])),
                                          Variable(Tensor<Double>(shape: [1], scalars: [logS]))])))
        }
        // KL(N(1, 0.5²) ‖ N(−1, 2²)) = log(2/0.5) + (0.25 + 4) / 8 − 1/2.
        let expected = Foundation.log(4.0) + 4.25 / 8 - 0.5
        let kl = ABML.klDivergence(posterior: params(1, Foundation.log(0.5)), prior: params(-1, Foundation.log(2))).scalar
        #expect(abs(kl - expected) < 1e-12)
        #expect(abs(ABML.klDivergence(posterior: params(0.3, -2), prior: params(0.3, -2)).scalar) < 1e-15)
    }
}

import Foundation
