import Testing
import MetaTensor
import MetaNN
import MetaTasks
import MetaRL
import MetaAlgorithms

/// MAML-TRPO as rounds (``MAMLTRPOProgram``): the program, fed the items' answers computed in
/// any shards, takes the bits of ``MAMLTRPO/step(model:parameters:goals:settings:trpo:seed:iteration:)``,
/// the single-process TRPO step over the same tasks.
@Suite struct MAMLTRPOProgramTests {
    /// A tiny `maml-trpo` run: horizon 10, 4 episodes per task, policy 2-8-8-2, meta-batch 4.
    static func configuration(_ algorithm: LearnerID = .mamlTRPO, steps: Int = 1) -> RunConfiguration {
        var c = RunConfiguration.presets["navigation-maml-trpo"]!
        c.algorithm = algorithm
        c.family = .navigation(horizon: 10, episodes: 4)
        c.architecture = .policyMLP(hidden: [8, 8])
        c.inner.steps = steps
        c.metaBatchSize = 4
        c.seed = 11
        return c
    }

    /// The reference: ``MAMLTRPO/step`` on the iteration's goals with the run's settings.
    static func reference(_ trainer: MetaTrainer<Float>, _ state: MetaTrainer<Float>.State, trpo: TRPOSettings = .paper)
        -> (parameters: Parameters<Tensor<Float>>, outcome: TRPOStep.Outcome) {
        let c = trainer.configuration
        let goals = (0..<c.metaBatchSize).map { NavigationTasks.decode(trainer.task(iteration: state.iteration, index: $0)).goal }
        let settings = RLSettings(trajectories: 4, horizon: 10, discount: MAMLTRPOLearner.discount, innerLearningRate: c.inner.learningRate,
                                  innerSteps: c.inner.steps, firstOrder: c.inner.firstOrder)
        return MAMLTRPO.step(model: trainer.model, parameters: state.parameters, goals: goals, settings: settings, trpo: trpo,
                             seed: c.seed, iteration: UInt64(state.iteration))
    }

    /// Runs the program of `state` with each round's items computed in shards of `shard` items,
    /// the last shard first (as workers might finish), concatenated in item order.
    static func run(_ trainer: MetaTrainer<Float>, _ state: MetaTrainer<Float>.State, shard: Int)
        -> (state: MetaTrainer<Float>.State, metrics: MetaTrainer<Float>.IterationMetrics, works: [UInt16]) {
        var program = trainer.configuration.algorithm.learner.iterationProgram(trainer: trainer, state: state)
        var works: [UInt16] = []
        while true {
            let request = program.request
            works.append(request.work)
            let starts = Array(stride(from: 0, to: request.items, by: shard))
            var parts: [Int: ShardResult<Float>] = [:]
            for start in starts.reversed() {
                parts[start] = trainer.workResult(request, iteration: state.iteration, items: Array(start..<min(start + shard, request.items)),
                                                  parameters: state.parameters)
            }
            let shards = starts.map { parts[$0]! }
            let merged = ShardResult<Float>(scalars: shards.flatMap(\.scalars), losses: shards.flatMap(\.losses),
                                            metrics: shards.flatMap(\.metrics))
            #expect(merged.scalars.allSatisfy { $0.count == request.scalarsPerItem })
            if case .update(let next, let metrics) = program.next(merged) { return (next, metrics, works) }
        }
    }

    @Test(arguments: [1, 3, 4])
    func theProgramOverShardsOfItemsGivesTheBitsOfTheSingleProcessTRPOStep(_ shard: Int) throws {
        let trainer = try MetaTrainer<Float>(configuration: Self.configuration())
        var state = trainer.initialState()
        for _ in 0..<2 {
            let (expected, outcome) = Self.reference(trainer, state)
            let (next, metrics, works) = Self.run(trainer, state, shard: shard)
            #expect(outcome.accepted)
            #expect(ParameterCoding.encode(next.parameters) == ParameterCoding.encode(expected))
            #expect(next.parameters != state.parameters && next.iteration == state.iteration + 1)
            #expect(metrics.metaLoss == outcome.lossBefore && metrics.metric == outcome.metric)
            // One surrogate round, one per Fisher product, one per candidate tried.
            #expect(works.count == 1 + outcome.fisherProducts + outcome.candidates)
            #expect(works.first == MAMLTRPOProgram<Float>.surrogateWork && works.last == MAMLTRPOProgram<Float>.candidateWork)
            state = next
        }
    }

    @Test func trainerStepRunsTheProgramWithTheSameBits() throws {
        let trainer = try MetaTrainer<Float>(configuration: Self.configuration(steps: 0))
        let state = trainer.initialState()
        let (next, metrics) = trainer.step(state)
        let (expected, outcome) = Self.reference(trainer, state)
        #expect(ParameterCoding.encode(next.parameters) == ParameterCoding.encode(expected))
        #expect(metrics.metaLoss == outcome.lossBefore && metrics.metric == outcome.metric)
    }

    @Test func theRandomPolicyBaselineAsksOneSurrogateRoundAndKeepsItsParameters() throws {
        let trainer = try MetaTrainer<Float>(configuration: Self.configuration(.randomPolicy))
        let state = trainer.initialState()
        let (next, metrics, works) = Self.run(trainer, state, shard: 4)
        let (_, outcome) = Self.reference(trainer, state)
        #expect(works == [MAMLTRPOProgram<Float>.surrogateWork])
        #expect(next.parameters == state.parameters && next.iteration == 1)
        #expect(metrics.metric == outcome.metric && metrics.metaLoss == outcome.lossBefore)
    }

    @Test func aCandidateWithANonFiniteLossIsAnsweredAsTheLargestFiniteValue() throws {
        let trainer = try MetaTrainer<Float>(configuration: Self.configuration())
        let state = trainer.initialState()
        let d = state.parameters.scalarCount
        let learner = trainer.configuration.algorithm.learner
        let huge = [Double](repeating: 1e30, count: d)
        let r = try #require(learner.workResult(trainer: trainer, work: MAMLTRPOProgram<Float>.candidateWork, payload: huge, iteration: 0,
                                                items: [0, 1], parameters: state.parameters))
        #expect(r.scalars.count == 2 && r.scalars.allSatisfy { $0.count == 2 && $0.allSatisfy(\.isFinite) })
        #expect(r.scalars.contains { $0.contains(Double.greatestFiniteMagnitude) }, "\(r.scalars)")
        // A payload of the wrong length, or an unknown work code, is not answered.
        #expect(learner.workResult(trainer: trainer, work: MAMLTRPOProgram<Float>.candidateWork, payload: [1], iteration: 0,
                                   items: [0], parameters: state.parameters) == nil)
        #expect(learner.workResult(trainer: trainer, work: 9, payload: [], iteration: 0, items: [0], parameters: state.parameters) == nil)
    }
}
