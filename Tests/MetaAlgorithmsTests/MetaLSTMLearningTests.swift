import Testing
import MetaTensor
import MetaNN
import MetaTasks
import MetaAlgorithms

/// The meta-learner LSTM learns: outer Adam steps on sinusoid tasks lower the query loss
/// after its T updates, on a fixed set of validation tasks.
///
/// Measured (seed 1, 300 outer Adam steps at 0.01, 4 tasks each, T = 5, SineMLP 20-20,
/// 25 validation tasks): mean query MSE 4.28 → 1.88. The bound 0.6 × 4.28 ≈ 2.57 lies well
/// under ≈ 3.4, the best a learner that does not adapt reaches (see AlgorithmLearningTests),
/// so passing needs learned updates, not only a learned initialisation.
@Suite struct MetaLSTMLearningTests {
    static let model = SineMLP(hidden: [20, 20])
    static let metaLSTM = MetaLSTM()
    static let family = SinusoidTasks()
    static let steps = 5

    static func validationLoss(_ p: Parameters<Tensor<Float>>, tasks: Int) -> Double {
        (0..<tasks).map { i in
            let task: Task<Float> = family.task(seed: 99, iteration: 0, index: UInt32(i), split: .validation)
            return metaLSTM.taskStep(model: model, parameters: p, task: task, steps: steps).loss
        }.reduce(0, +) / Double(tasks)
    }

    @Test func outerAdamStepsLowerTheQueryLossOnSinusoids() {
        let outer = OuterOptimizer.adam(learningRate: 0.01)
        var p: Parameters<Tensor<Float>> = Self.metaLSTM.initialParameters(model: Self.model, seed: 1)
        var state = outer.initialState(for: p)
        let before = Self.validationLoss(p, tasks: 25)
        let batch = 4
        for iteration in 0..<300 {
            let results = (0..<batch).map { i in
                let task: Task<Float> = Self.family.task(seed: 1, iteration: UInt64(iteration), index: UInt32(i), split: .train)
                return Self.metaLSTM.taskStep(model: Self.model, parameters: p, task: task, steps: Self.steps)
            }
            let mean = results.dropFirst().reduce(results[0].metaGradient) { sum, r in sum.zip(r.metaGradient) { $0 + $1 } }
                .map { $0 * (1 / Float(batch)) }
            (p, state) = outer.update(p, gradients: mean, state: state)
        }
        let after = Self.validationLoss(p, tasks: 25)
        #expect(after < 0.6 * before, "meta-learner LSTM: \(before) → \(after)")
    }
}
