import Testing
import Foundation
import MetaTensor
import MetaNN
import MetaRandom
import MetaTasks
import MetaAlgorithms
import MetaTestKit

/// ES-MAML's estimator (Song et al. 2020; Salimans et al. 2017) against exact gradients, its
/// fitness shaping, its keyed perturbations, and the learner through the trainer.
@Suite struct ESMAMLTests {
    /// The raw antithetic estimate of `fitness` at `x` from `pairs` pairs of scale `sigma`.
    static func estimate(_ fitness: ([Double]) -> Double, at x: [Double], pairs: Int, sigma: Double, iteration: Int = 0) -> [Double] {
        let d = x.count
        let eps = (0..<pairs).map { ESMAML.perturbation(seed: 7, iteration: iteration, pair: $0, count: d) }
        let plus = eps.map { e in fitness(zip(x, e).map { $0 + sigma * $1 }) }
        let minus = eps.map { e in fitness(zip(x, e).map { $0 - sigma * $1 }) }
        return ESMAML.estimate(plus: plus, minus: minus, sigma: sigma, count: d) { eps[$0] }
    }

    @Test func theESEstimateMatchesTheTrueGradientOfAQuadraticForSmallSigmaAndManyPairs() {
        // f(x) = 3 − ½ Σ a_i (x_i − c_i)², ∇f = −a ⊙ (x − c).
        let a = [1.0, 2, 0.5, 3, 1.5], c = [0.3, -1, 2, 0.5, 0], x = [1.0, 0, -1, 2, 0.7]
        func f(_ y: [Double]) -> Double {
            var sum = 0.0
            for i in 0..<5 {
                let r: Double = y[i] - c[i]
                sum += a[i] * r * r
            }
            return 3 - 0.5 * sum
        }
        let truth: [Double] = (0..<5).map { i in -a[i] * (x[i] - c[i]) }
        let g = Self.estimate(f, at: x, pairs: 20_000, sigma: 1e-3)
        let error = GradientCheck.relativeError(g, truth)
        #expect(error < 0.05, "relative error \(error): \(g) vs \(truth)")
    }

    @Test func antitheticPairsCancelTheConstantTermExactly() {
        // A constant fitness, raw or shaped, gives exactly zero: F(θ+σε) − F(θ−σε) = 0.
        let d = 6
        let g = Self.estimate({ _ in 4.25 }, at: [Double](repeating: 0.1, count: d), pairs: 32, sigma: 0.05)
        #expect(g == [Double](repeating: 0, count: d))
        let shaped = ESMAML.centredRanks([Double](repeating: -1.5, count: 64))
        #expect(shaped == [Double](repeating: 0, count: 64))
        // Pairs whose two fitnesses are equal contribute nothing, whatever their level.
        let levels = (0..<16).map { Double($0 * $0) - 7.5 }
        let h = ESMAML.estimate(plus: levels, minus: levels, sigma: 0.01, count: d) {
            ESMAML.perturbation(seed: 1, iteration: 0, pair: $0, count: d)
        }
        #expect(h == [Double](repeating: 0, count: d))
    }

    @Test func perturbationsAreTheSameInEveryProcessAndIndependentAcrossKeys() throws {
        let n = 4_000
        let e = ESMAML.perturbation(seed: 11, iteration: 3, pair: 5, count: n)
        #expect(e == ESMAML.perturbation(seed: 11, iteration: 3, pair: 5, count: n))
        // Another process: the built binary knows nothing of this one but the key.
        // (The cluster tests check the same through real workers; here, the key alone decides.)
        #expect(e != ESMAML.perturbation(seed: 11, iteration: 3, pair: 6, count: n))
        #expect(e != ESMAML.perturbation(seed: 11, iteration: 4, pair: 5, count: n))
        #expect(e != ESMAML.perturbation(seed: 12, iteration: 3, pair: 5, count: n))
        // A prefix of a longer draw: the count does not change the values.
        #expect(Array(ESMAML.perturbation(seed: 11, iteration: 3, pair: 5, count: 2 * n)[0..<n]) == e)
        let mean = e.reduce(0, +) / Double(n)
        let variance = e.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n - 1)
        #expect(abs(mean) < 0.05 && abs(variance - 1) < 0.08, "mean \(mean), variance \(variance)")
    }

    @Test func centredRanksSpanMinusHalfToHalfAndTiesShareTheirAverageRank() {
        #expect(ESMAML.centredRanks([3, 1, 2]) == [0.5, -0.5, 0])
        #expect(ESMAML.centredRanks([1, 1, 0, 2]) == [0, 0, -0.5, 0.5])
        #expect(ESMAML.centredRanks([5]) == [0])
        // Invariant to any increasing transformation of the fitnesses.
        let f = [0.3, -2, 7, 1e-3, 4]
        #expect(ESMAML.centredRanks(f) == ESMAML.centredRanks(f.map { exp($0) }))
    }

    @Test func theESEstimateOfThePostAdaptationFitnessApproachesMAMLsSecondOrderGradient() {
        // f(θ) = −L_query(θ − α∇L_support(θ)): ES needs no derivative of the adaptation, and
        // its estimate tends to the exact meta-gradient, Hessian term included.
        let model = SineMLP(hidden: [3])
        let theta = model.initialParameters(seed: 2, as: Double.self)
        let task: Task<Double> = SinusoidTasks(supportPoints: 5, queryPoints: 5).task(seed: 1, iteration: 0, index: 0, split: .train)
        let inner = InnerLoop(steps: 1, learningRate: 0.3)
        let exact = ESMAMLLearner().taskStep(model: model, parameters: theta, task: task, inner: inner).metaGradient
        let truth = exact.values.flatMap(\.scalars).map { -$0 }
        var layoutTheta = theta
        func fitness(_ flat: [Double]) -> Double {
            var offset = 0
            for k in 0..<layoutTheta.count {
                let n = theta.values[k].count
                layoutTheta.values[k] = Tensor(shape: theta.values[k].shape, scalars: Array(flat[offset..<(offset + n)]))
                offset += n
            }
            return SupervisedFitness().fitness(model: model, parameters: layoutTheta, task: task, inner: inner).fitness
        }
        let g = Self.estimate(fitness, at: theta.values.flatMap(\.scalars), pairs: 20_000, sigma: 1e-4)
        let error = GradientCheck.relativeError(g, truth)
        #expect(error < 0.08, "relative error \(error): \(g) vs \(truth)")
        // The first-order approximation differs by more than that: the estimate carries the Hessian term.
        var firstOrder = inner
        firstOrder.firstOrder = true
        let fo = MAML.taskStep(model: model, parameters: theta, task: task, inner: firstOrder).metaGradient.values.flatMap(\.scalars)
        let foError = GradientCheck.relativeError(fo.map { -$0 }, truth)
        print("ES vs exact: \(error); first-order vs exact: \(foError)")
        #expect(foError > 2 * error)
    }

    static let config: RunConfiguration = {
        var c = RunConfiguration.presets["sine-es-maml"]!
        c.metaBatchSize = 8
        return c
    }()

    @Test func theTrainersStepIsTheSameProgramAsRoundsComputedInShards() throws {
        let trainer = try MetaTrainer<Float>(configuration: Self.config)
        var state = trainer.initialState()
        state = trainer.step(state).0
        let (reference, _) = trainer.step(state)
        // The same iteration with the round's items computed in two shards, as two workers would.
        var program = ESMAMLLearner().iterationProgram(trainer: trainer, state: state)
        let request = program.request
        #expect(request.work == ESMAML.fitnessWork && request.scalarsPerItem == 2 && request.items == 8 && request.payload.isEmpty)
        let shards = [Array(0..<4), Array(4..<8)].map {
            trainer.workResult(request, iteration: state.iteration, items: $0, parameters: state.parameters)
        }
        let joined = ShardResult<Float>(scalars: shards.flatMap(\.scalars), losses: shards.flatMap(\.losses),
                                        metrics: shards.flatMap(\.metrics))
        guard case .update(let next, _) = program.next(joined) else { Issue.record("ES-MAML asked for a second round"); return }
        #expect(ParameterCoding.encode(next.parameters) == ParameterCoding.encode(reference.parameters))
        #expect(ParameterCoding.encode(next.parameters) != ParameterCoding.encode(state.parameters))
    }

    @Test func withTheSumOnTheWorkersASecondRoundCarriesTheWeightsAndItsBlockSumsGiveTheSameEstimate() throws {
        var c = Self.config
        c.perturbationSumOnWorkers = true
        let trainer = try MetaTrainer<Float>(configuration: c)
        let state = trainer.initialState()
        var program = ESMAMLLearner().iterationProgram(trainer: trainer, state: state)
        let fitness = trainer.workResult(program.request, iteration: 0, items: Array(0..<8), parameters: state.parameters)
        guard case .request(let second) = program.next(fitness) else { Issue.record("no second round"); return }
        #expect(second.work == ESMAML.perturbationSumWork && second.scalarsPerItem == nil && second.items == 8)
        // The payload: each pair's shaped plus minus shaped minus.
        let shaped = ESMAML.centredRanks(fitness.scalars.flatMap { $0 })
        let weights = (0..<8).map { shaped[2 * $0] - shaped[2 * $0 + 1] }
        #expect(second.payload == weights)
        // Block sums in two shards, as two workers would, against the coordinator's estimate.
        let sums = [Array(0..<4), Array(4..<8)].flatMap {
            trainer.workResult(second, iteration: 0, items: $0, parameters: state.parameters).blockSums
        }
        let d = state.parameters.scalarCount
        let onWorkers = MetaGradient.sum(sums).values.flatMap(\.scalars).map { Double($0) / (2 * 8 * c.perturbationScale!) }
        let onCoordinator = ESMAML.estimate(plus: weights, minus: [Double](repeating: 0, count: 8), sigma: c.perturbationScale!, count: d) {
            ESMAML.perturbation(seed: c.seed, iteration: 0, pair: $0, count: d)
        }
        #expect(GradientCheck.relativeError(onWorkers, onCoordinator) < 1e-5)
        guard case .update(let viaShards, _) = program.next(ShardResult(blockSums: sums, losses: [0, 0, 0, 0, 0, 0, 0, 0],
                                                                        metrics: [0, 0, 0, 0, 0, 0, 0, 0])) else {
            Issue.record("no update after the second round"); return
        }
        // The trainer's own step (one process) is the same program: the same bits.
        #expect(ParameterCoding.encode(trainer.step(state).0.parameters) == ParameterCoding.encode(viaShards.parameters))
    }

    @Test func esMAMLReducesTheSineMetaLoss() throws {
        // A smaller network (141 parameters): an estimate from 32 pairs is informative enough
        // for a fast test; the preset's 1,761 parameters need more iterations.
        var c = Self.config
        c.metaBatchSize = 32
        c.architecture = .sineMLP(hidden: [10, 10])
        let (before, after) = try AlgorithmLearningTests.lossBeforeAndAfter(c, iterations: 400, tasks: 20)
        print("es-maml: \(before) → \(after)")
        #expect(after < 0.8 * before, "\(before) → \(after)")
    }

    @Test func aConfigurationWithoutSigmaIsRefusedNamingTheKey() {
        var c = Self.config
        #expect(ESMAMLLearner().problem(with: c) == nil)
        c.perturbationScale = nil
        #expect(ESMAMLLearner().problem(with: c)?.contains("es.sigma") == true)
    }
}
