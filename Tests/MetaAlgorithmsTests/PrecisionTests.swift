import Testing
import MetaTensor
import MetaAutodiff
import MetaNN
import MetaRandom
import MetaTasks
import MetaAlgorithms
import MetaTestKit

/// Float computations agree with the same computation in Double.
@Suite struct PrecisionTests {
    /// The second-order MAML meta-gradient of the full Omniglot CNN (5-way 1-shot, one inner
    /// step α = 0.4, batch norm with batch statistics) in Float is within 1e-5 relative of the
    /// Double computation from the same parameters and images.
    @Test func omniglotCNNSecondOrderMetaGradientInFloatMatchesDouble() {
        let model = ConvNet.omniglot(ways: 5)
        let parametersF = model.initialParameters(seed: 0, as: Float.self)
        let parametersD = parametersF.map { $0.converted(to: Double.self) }
        // Binary stroke-like images: Omniglot pixels are 0 or 1.
        var s = RandomStream(seed: 21, purpose: .testing)
        func images() -> Tensor<Float> {
            let u: Tensor<Float> = s.uniformTensor([5, 1, 28, 28])
            return u.map(.shift, parameter: -0.8).map(.positiveMask)
        }
        let labels = [0, 1, 2, 3, 4]
        let taskF = Task(supportInputs: images(), supportTargets: .classification(labels),
                         queryInputs: images(), queryTargets: .classification(labels))
        let taskD = Task<Double>(supportInputs: taskF.supportInputs.converted(), supportTargets: .classification(labels),
                                 queryInputs: taskF.queryInputs.converted(), queryTargets: .classification(labels))
        let inner = InnerLoop(steps: 1, learningRate: 0.4)
        let f = MAML.taskStep(model: model, parameters: parametersF, task: taskF, inner: inner).metaGradient
        let d = MAML.taskStep(model: model, parameters: parametersD, task: taskD, inner: inner).metaGradient
        let error = GradientCheck.relativeError(f.values.flatMap { $0.converted(to: Double.self).scalars },
                                                d.values.flatMap(\.scalars))
        print("Omniglot CNN second-order meta-gradient, Float vs Double relative error: \(error)")
        #expect(error < 1e-5)
    }
}
