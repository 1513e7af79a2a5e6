import Testing
import MetaTensor
import MetaNN
import MetaTasks
import MetaAlgorithms

/// ES-MAML on reward tasks: the fitness of a policy on a navigation task is its return after
/// the configured policy-gradient steps (``EnvironmentFitness``), evaluated as `maml-trpo` is.
@Suite struct ESMAMLNavigationTests {
    /// A tiny navigation setting: horizon 10, 5 episodes per sampling, a 2-8-8-2 policy.
    static let tiny: RunConfiguration = {
        var c = RunConfiguration.presets["navigation-es-maml"]!
        c.family = .navigation(horizon: 10, episodes: 5)
        c.architecture = .policyMLP(hidden: [8, 8])
        c.inner = InnerLoop(steps: 1, evaluationSteps: 2, learningRate: 0.1)
        c.metaBatchSize = 16
        c.perturbationScale = 0.1
        c.outerOptimizer = .adam(learningRate: 0.1)
        return c
    }()

    @Test func theNavigationFitnessIsTheReturnAfterTheConfiguredPolicyGradientSteps() throws {
        let trainer = try MetaTrainer<Float>(configuration: Self.tiny)
        let theta = trainer.initialState().parameters
        let task = trainer.task(iteration: 3, index: 2)
        let returns = EnvironmentFitness().evaluate(model: trainer.model, parameters: theta, task: task, inner: Self.tiny.inner, steps: 2)
        #expect(returns.count == 3)
        var inner = Self.tiny.inner
        for steps in 0...2 {
            inner.steps = steps
            let f = EnvironmentFitness().fitness(model: trainer.model, parameters: theta, task: task, inner: inner)
            #expect(f.fitness == returns[steps] && f.metric == returns[steps] && f.loss == -returns[steps], "\(steps) steps")
        }
        // The adaptation changes the return: the fitness after one step is not the return before it.
        #expect(returns[1] != returns[0])
    }

    @Test func esMAMLOnNavigationIsEvaluatedWithMAMLTRPOsTable() throws {
        let trainer = try MetaTrainer<Float>(configuration: Self.tiny)
        let theta = trainer.initialState().parameters
        // The initial policy is the Gaussian policy's (network and log σ), as maml-trpo's.
        #expect(ParameterCoding.encode(theta)
                == ParameterCoding.encode(LearnerID.mamlTRPO.initialParameters(model: trainer.model, seed: Self.tiny.seed, as: Float.self)))
        let task: Task<Float> = trainer.family.task(seed: 5, iteration: 0, index: 1, split: .test, as: Float.self)
        let es = LearnerID.esMAML.evaluate(model: trainer.model, parameters: theta, task: task, inner: Self.tiny.inner, steps: 3)
        let trpo = LearnerID.mamlTRPO.evaluate(model: trainer.model, parameters: theta, task: task, inner: Self.tiny.inner, steps: 3)
        #expect(es.count == 4 && es == trpo)
        let report = trainer.evaluate(theta, split: .test, tasks: 3)
        #expect(report.metric == Metric.averageReturn.name && report.steps.count == 3)
    }

    /// The mean return after one policy-gradient step on 12 fixed held-out goals.
    static func adaptedReturn(_ trainer: MetaTrainer<Float>, _ p: Parameters<Tensor<Float>>) -> Double {
        trainer.evaluate(p, split: .test, tasks: 12, steps: 1).steps[1].mean
    }

    @Test func aFewESIterationsRaiseThePostAdaptationReturnOnFixedGoals() throws {
        let trainer = try MetaTrainer<Float>(configuration: Self.tiny)
        var state = trainer.initialState()
        let before = Self.adaptedReturn(trainer, state.parameters)
        for _ in 0..<30 { state = trainer.step(state).0 }
        let after = Self.adaptedReturn(trainer, state.parameters)
        print("es-maml navigation, return after one step: \(before) → \(after)")
        #expect(after > before + 0.3, "\(before) → \(after)")
    }

    @Test func plainESOnThePreAdaptationReturnTakesZeroInnerSteps() throws {
        var c = Self.tiny
        c.inner.steps = 0
        #expect(ESMAMLLearner().problem(with: c) == nil)
        let trainer = try MetaTrainer<Float>(configuration: c)
        let state = trainer.initialState()
        let task = trainer.task(iteration: 0, index: 0)
        let f = EnvironmentFitness().fitness(model: trainer.model, parameters: state.parameters, task: task, inner: c.inner)
        #expect(f.fitness == EnvironmentFitness().evaluate(model: trainer.model, parameters: state.parameters, task: task,
                                                           inner: c.inner, steps: 0)[0])
        #expect(ParameterCoding.encode(trainer.step(state).0.parameters) != ParameterCoding.encode(state.parameters))
    }

    @Test func esMAMLTrainsOnSupportQueryAndEnvironmentTasksOnly() {
        #expect(ESMAMLLearner().taskShapes == [.supportQuery, .environment])
        #expect(TaskShape.sequence.fitness == nil)
        #expect(TaskShape.environment.fitness is EnvironmentFitness && TaskShape.supportQuery.fitness is SupervisedFitness)
    }
}
