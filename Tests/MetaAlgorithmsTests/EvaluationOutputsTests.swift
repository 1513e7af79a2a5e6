import Testing
import MetaTensor
import MetaNN
import MetaTasks
import MetaAlgorithms

/// ``Learner/queryOutputs(model:parameters:input:inner:steps:)``: the predictions behind
/// every evaluation metric, for every registered support/query learner.
@Suite struct EvaluationOutputsTests {
    /// A configuration each learner can run: sinusoids for the gradient learners, small
    /// synthetic images for the rest, sequences for MANN, short navigation episodes for MAML-TRPO,
    /// sinusoids with a perturbation scale for ES-MAML.
    static let candidates: [RunConfiguration] = {
        var sine = RunConfiguration.presets["sine-maml"]!
        sine.inner = InnerLoop(steps: 1, evaluationSteps: 3, learningRate: 0.01)
        var images = sine
        images.family = .syntheticImages(ways: 3, shots: 1, queries: 2, size: 16)
        images.architecture = .maxPoolCNN(filters: 8, ways: 3, side: 16)
        images.inner = InnerLoop(steps: 2, evaluationSteps: 2, learningRate: 0.1)
        var navigation = sine
        navigation.family = .navigation(horizon: 10, episodes: 4)
        navigation.architecture = .policyMLP(hidden: [8])
        navigation.inner = InnerLoop(steps: 1, evaluationSteps: 2, learningRate: 0.1)
        navigation.metaBatchSize = 2
        var perturbed = sine  // ES-MAML needs its perturbation scale
        perturbed.perturbationScale = 0.1
        return [sine, images, RegisteredLearnerTests.relationNet, RegisteredLearnerTests.mann, navigation, perturbed]
    }()

    static func configuration(for learner: any Learner) -> RunConfiguration? {
        for var c in candidates {
            c.algorithm = learner.id
            if learner.problem(with: c) == nil { return c }
        }
        return nil
    }

    @Test func everyLearnersEvaluationMetricsAreTheMetricsOfItsEvaluationOutputs() throws {
        for learner in Learners.all {
            let c = try #require(Self.configuration(for: learner), "no test configuration for \(learner.id)")
            let trainer = try MetaTrainer<Float>(configuration: c)
            // Trained a little, so that adaptation has something to change.
            var state = trainer.initialState()
            for _ in 0..<3 { state = trainer.step(state).0 }
            for index in 0..<3 {
                let task = trainer.evaluationFamily.task(seed: c.evaluationSeed, iteration: 0, index: UInt32(index), split: .test,
                                                         as: Float.self)
                let steps = c.inner.evaluationSteps
                let metrics = learner.evaluate(model: trainer.model, parameters: state.parameters, task: task, inner: c.inner, steps: steps)
                guard learner.taskShape == .supportQuery else { continue }
                let outputs = learner.queryOutputs(model: trainer.model, parameters: state.parameters, input: AdaptationInput(task),
                                                   inner: c.inner, steps: steps)
                #expect(outputs.count == metrics.count, "\(learner.id): \(outputs.count) outputs, \(metrics.count) metrics")
                #expect(outputs.allSatisfy { $0.shape[0] == task.queryTargets.count }, "\(learner.id): one row per query")
                #expect(outputs.map { TaskLoss.metric($0, task.queryTargets) } == metrics, "\(learner.id), task \(index)")
            }
        }
    }

    @Test func gradientLearnersOutputsChangeWithEachInnerStep() throws {
        for id in [LearnerID.maml, .metaSGD, .anil, .metaLSTM] {
            let c = try #require(Self.configuration(for: id.learner))
            let trainer = try MetaTrainer<Float>(configuration: c)
            let task = trainer.evaluationFamily.task(seed: c.evaluationSeed, iteration: 0, index: 0, split: .test, as: Float.self)
            let outputs = id.queryOutputs(model: trainer.model, parameters: trainer.initialState().parameters,
                                          input: AdaptationInput(task), inner: c.inner, steps: c.inner.evaluationSteps)
            #expect(outputs.count == c.inner.evaluationSteps + 1, "\(id)")
            #expect(outputs[0] != outputs[outputs.count - 1], "\(id): adaptation did not change the predictions")
        }
    }
}
