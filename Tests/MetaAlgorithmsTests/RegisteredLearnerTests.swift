import Testing
import MetaTensor
import MetaNN
import MetaTasks
import MetaAlgorithms

/// The Relation Network, the meta-learner LSTM and MANN through the learner seam: configured
/// as a run, drawn tasks from a registered family, trained by ``MetaTrainer`` (the same path as
/// `train` and the workers), evaluated by the evaluation protocol.
@Suite struct RegisteredLearnerTests {
    static func configuration(_ algorithm: Algorithm, family: RunConfiguration.Family, architecture: RunConfiguration.Architecture,
                              inner: InnerLoop = InnerLoop(steps: 0, evaluationSteps: 0, learningRate: 0),
                              learningRate: Double = 0.001, metaBatch: Int = 4) -> RunConfiguration {
        RunConfiguration(name: "test-\(algorithm)", source: "test", algorithm: algorithm, family: family, architecture: architecture,
                         inner: inner, metaBatchSize: metaBatch, outerOptimizer: .adam(learningRate: learningRate), iterations: 100)
    }

    static let relationNet = configuration(.relationNet, family: .syntheticImages(ways: 3, shots: 1, queries: 2, size: 16),
                                           architecture: .relationNetwork(side: 16))
    static let metaLSTM = configuration(.metaLSTM, family: .syntheticImages(ways: 3, shots: 1, queries: 2, size: 16),
                                        architecture: .maxPoolCNN(filters: 8, ways: 3, side: 16),
                                        inner: InnerLoop(steps: 3, evaluationSteps: 3, learningRate: 0), learningRate: 0.005)
    static let mann = configuration(.mann, family: RunConfiguration.Family(SyntheticSequencesFamily(ways: 3, shots: 4, size: 4)),
                                    architecture: .mann(units: 16, inputs: 16 + 3, classes: 3), learningRate: 0.003)
    static let lstm = configuration(.mann, family: RunConfiguration.Family(SyntheticSequencesFamily(ways: 3, shots: 4, size: 4)),
                                    architecture: .lstm(units: 16, inputs: 16 + 3, classes: 3), learningRate: 0.003)

    /// (name, configuration, iterations, the largest after/before ratio of the mean query loss
    /// on 20 fixed validation tasks that is accepted).
    @Test(arguments: [("relationnet", relationNet, 40, 0.8), ("metalstm", metaLSTM, 60, 0.9),
                      ("mann", mann, 200, 0.95), ("mann with the lstm", lstm, 200, 0.95)])
    func aRegisteredLearnerReducesItsMetaLossThroughTheTrainer(_ name: String, _ c: RunConfiguration, _ iterations: Int,
                                                                _ ratio: Double) throws {
        let (before, after) = try AlgorithmLearningTests.lossBeforeAndAfter(c, iterations: iterations, tasks: 20)
        print("\(name): \(before) → \(after)")
        #expect(after < ratio * before, "\(name): \(before) → \(after)")
    }

    @Test func mannIsEvaluatedByPresentationOfAClass() throws {
        let trainer = try MetaTrainer<Float>(configuration: Self.mann)
        let report = trainer.evaluate(trainer.initialState().parameters, split: .test, tasks: 8)
        #expect(report.axis == "presentation")
        #expect(report.steps.count == 4, "one entry per presentation 1…shots")
        #expect(report.label(0) == 1 && report.label(3) == 4)
        #expect(report.steps.allSatisfy { (0...1).contains($0.mean) })
        #expect(report.table.hasPrefix("pres."))
    }

    @Test func sequenceFamiliesGiveSequenceShapedTasks() throws {
        let family = try SyntheticSequencesFamily(ways: 3, shots: 4, size: 4).makeTasks()
        #expect(family.shape == .sequence)
        let task: Task<Float> = family.task(seed: 1, iteration: 0, index: 0, split: .train, as: Float.self)
        #expect(task.supportInputs.shape == [12, 16 + 3])
        #expect(task.queryInputs.shape[0] == 0)
        let episode = SequenceEpisode(task: task, classes: 3)
        #expect(episode.presentations.max() == 4)
        #expect(episode.task.supportInputs == task.supportInputs)
    }

    @Test func learnersThatDoNotAdaptReportOneEvaluationEntry() throws {
        let trainer = try MetaTrainer<Float>(configuration: Self.relationNet)
        let report = trainer.evaluate(trainer.initialState().parameters, split: .test, tasks: 4)
        #expect(report.steps.count == 1)
        #expect(report.axis == "inner step")
    }

    @Test func metaLSTMIsEvaluatedAfterEachLearnedUpdate() throws {
        let trainer = try MetaTrainer<Float>(configuration: Self.metaLSTM)
        let report = trainer.evaluate(trainer.initialState().parameters, split: .test, tasks: 4)
        #expect(report.steps.count == 4, "steps 0…3")
    }
}
