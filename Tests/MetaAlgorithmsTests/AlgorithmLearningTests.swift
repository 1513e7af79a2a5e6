import Testing
import MetaTensor
import MetaNN
import MetaTasks
import MetaAlgorithms

/// Every algorithm reduces its meta-loss on a fixed seed.
@Suite struct AlgorithmLearningTests {
    /// The meta-loss (query loss after the algorithm's adaptation) averaged over a fixed set of
    /// `tasks` validation tasks, before and after `iterations` meta-iterations. A fixed set keeps
    /// the comparison free of the batch-to-batch noise of the training loss.
    static func lossBeforeAndAfter(_ config: RunConfiguration, iterations: Int, tasks: Int) throws -> (Double, Double) {
        let trainer = try MetaTrainer<Float>(configuration: config)
        func metaLoss(_ p: Parameters<Tensor<Float>>) -> Double {
            (0..<tasks).map { i in
                let task: Task<Float> = trainer.family.task(seed: 99, iteration: 0, index: UInt32(i), split: .validation, as: Float.self)
                return config.algorithm.taskStep(model: trainer.model, parameters: p, task: task, inner: config.inner).loss
            }.reduce(0, +) / Double(tasks)
        }
        var state = trainer.initialState()
        let before = metaLoss(state.parameters)
        for _ in 0..<iterations { state = trainer.step(state).0 }
        return (before, metaLoss(state.parameters))
    }

    static func sine(_ algorithm: Algorithm, firstOrder: Bool = false, outer: OuterOptimizer = .adam(learningRate: 0.01)) -> RunConfiguration {
        var c = RunConfiguration.presets["sine-maml"]!
        c.algorithm = algorithm
        c.inner = InnerLoop(steps: algorithm == .reptile ? 5 : 1, learningRate: algorithm == .reptile ? 0.02 : 0.01,
                            firstOrder: firstOrder)
        c.metaBatchSize = 10
        c.outerOptimizer = outer
        return c
    }

    /// (name, configuration, the largest after/before ratio accepted). Pretraining cannot adapt,
    /// so its loss is bounded below by the best single function for all phases (MSE ≈ 3.4
    /// from ≈ 4.3 at the start); every learner that adapts must cut its loss by a fifth.
    @Test(arguments: [
        ("maml", sine(.maml), 0.8), ("first-order maml", sine(.maml, firstOrder: true), 0.8),
        ("reptile", sine(.reptile, outer: .sgd(learningRate: 0.5)), 0.8), ("meta-sgd", sine(.metaSGD), 0.8),
        ("first-order meta-sgd", sine(.metaSGD, firstOrder: true), 0.8), ("anil", sine(.anil), 0.8),
        ("pretrain", sine(.pretrain), 0.9),
    ])
    func algorithmReducesMetaLossOnSinusoids(_ name: String, _ config: RunConfiguration, _ ratio: Double) throws {
        let (before, after) = try Self.lossBeforeAndAfter(config, iterations: 400, tasks: 100)
        #expect(after < ratio * before, "\(name): \(before) → \(after)")
    }

    @Test func prototypicalNetworksReduceMetaLossOnSyntheticImages() throws {
        var c = RunConfiguration.presets["sine-maml"]!
        c.algorithm = .protoNet
        c.family = .syntheticImages(ways: 5, shots: 1, queries: 2, size: 28)
        c.architecture = .omniglotCNN(ways: 5)
        c.metaBatchSize = 4
        c.outerOptimizer = .adam(learningRate: 0.001)
        let (before, after) = try Self.lossBeforeAndAfter(c, iterations: 40, tasks: 20)
        #expect(after < 0.8 * before, "protonet: \(before) → \(after)")
    }
}
