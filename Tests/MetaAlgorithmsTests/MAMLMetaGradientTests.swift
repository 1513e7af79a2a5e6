import Testing
import MetaTensor
import MetaAutodiff
import MetaNN
import MetaRandom
import MetaTasks
import MetaAlgorithms
import MetaTestKit

/// The MAML meta-gradient against central finite differences of the post-adaptation query
/// loss, θ ↦ L_query(θ − α∇L_support(θ) − …), with respect to the initial parameters.
@Suite struct MAMLMetaGradientTests {
    /// Central differences of the post-adaptation query loss over every parameter, in Double.
    static func finiteDifferenceMetaGradient(model: any Model, parameters: Parameters<Tensor<Double>>, task: Task<Double>,
                                             inner: InnerLoop, epsilon: Double = 1e-6) -> [Double] {
        var result: [Double] = []
        for k in 0..<parameters.count {
            for i in 0..<parameters.values[k].count {
                func loss(_ delta: Double) -> Double {
                    var shifted = parameters
                    shifted.values[k].withUnsafeMutableBufferPointer { $0[i] += delta }
                    return MAML.taskStep(model: model, parameters: shifted, task: task, inner: inner).loss
                }
                result.append((loss(epsilon) - loss(-epsilon)) / (2 * epsilon))
            }
        }
        return result
    }

    static func randomClassificationTask(ways: Int, channels: Int, size: Int, seed: UInt64) -> Task<Double> {
        var s = RandomStream(seed: seed, purpose: .testing)
        let labels = Array(0..<ways)
        return Task(supportInputs: s.uniformTensor([ways, channels, size, size]), supportTargets: .classification(labels),
                    queryInputs: s.uniformTensor([ways, channels, size, size]), queryTargets: .classification(labels.reversed()))
    }

    @Test func secondOrderMetaGradientOfMLPMatchesFiniteDifferencesAfterTwoSteps() {
        let model = SineMLP(hidden: [6, 5])
        let parameters = model.initialParameters(seed: 3, as: Double.self)
        let task: Task<Double> = SinusoidTasks(supportPoints: 5, queryPoints: 5).task(seed: 1, iteration: 0, index: 0, split: .train)
        let inner = InnerLoop(steps: 2, learningRate: 0.05)
        let analytic = MAML.taskStep(model: model, parameters: parameters, task: task, inner: inner)
            .metaGradient.values.flatMap(\.scalars)
        let numeric = Self.finiteDifferenceMetaGradient(model: model, parameters: parameters, task: task, inner: inner)
        #expect(GradientCheck.relativeError(analytic, numeric) < 1e-6)
    }

    @Test func secondOrderMetaGradientOfCNNMatchesFiniteDifferencesAfterTwoSteps() {
        // Two blocks (conv stride 2, batch norm with batch statistics, ReLU), spatial mean, head.
        let model = ConvNet(inChannels: 1, imageSize: 6, filters: 3, ways: 3, downsampling: .strided,
                            pooling: .spatialMean, blocks: 2)
        var parameters = model.initialParameters(seed: 5, as: Double.self)
        // Move batch norm's scale and offset off 1 and 0 so that every term is exercised.
        var s = RandomStream(seed: 9, purpose: .testing)
        for name in parameters.names where name.hasSuffix(".scale") || name.hasSuffix(".offset") {
            parameters[name] = parameters[name] + s.uniformTensor(parameters[name].shape, low: -0.3, high: 0.3)
        }
        let task = Self.randomClassificationTask(ways: 3, channels: 1, size: 6, seed: 11)
        let inner = InnerLoop(steps: 2, learningRate: 0.3)
        let analytic = MAML.taskStep(model: model, parameters: parameters, task: task, inner: inner)
            .metaGradient.values.flatMap(\.scalars)
        let numeric = Self.finiteDifferenceMetaGradient(model: model, parameters: parameters, task: task, inner: inner)
        #expect(GradientCheck.relativeError(analytic, numeric) < 1e-5)
    }

    /// The search's encoder paths: 5×5 kernels, no batch norm, max-pooling that stops at a
    /// 1×1 map (4 → 2 → 1 → 1), through two inner steps.
    @Test func secondOrderMetaGradientOfUnnormalisedFiveByFiveMaxPoolCNNMatchesFiniteDifferences() {
        let model = ConvNet(inChannels: 1, imageSize: 4, filters: 2, ways: 3, downsampling: .maxPool,
                            pooling: .spatialMean, blocks: 3, kernelSize: 5, batchNorm: false)
        #expect(!model.layers.contains { $0 is BatchNorm })
        var parameters = model.initialParameters(seed: 6, as: Double.self)
        // Biases off zero, so that no pre-activation sits on ReLU's kink.
        var s = RandomStream(seed: 10, purpose: .testing)
        for name in parameters.names where name.hasSuffix(".bias") {
            parameters[name] = parameters[name] + s.uniformTensor(parameters[name].shape, low: -0.3, high: 0.3)
        }
        let task = Self.randomClassificationTask(ways: 3, channels: 1, size: 4, seed: 12)
        let inner = InnerLoop(steps: 2, learningRate: 0.3)
        let analytic = MAML.taskStep(model: model, parameters: parameters, task: task, inner: inner)
            .metaGradient.values.flatMap(\.scalars)
        let numeric = Self.finiteDifferenceMetaGradient(model: model, parameters: parameters, task: task, inner: inner)
        #expect(GradientCheck.relativeError(analytic, numeric) < 1e-5)
    }

    @Test func firstOrderMetaGradientIsTheQueryGradientAtTheAdaptedParameters() {
        let model = SineMLP(hidden: [8, 8])
        let parameters = model.initialParameters(seed: 4, as: Double.self)
        let task: Task<Double> = SinusoidTasks().task(seed: 2, iteration: 0, index: 0, split: .train)
        let inner = InnerLoop(steps: 3, learningRate: 0.02, firstOrder: true)
        let fomaml = MAML.taskStep(model: model, parameters: parameters, task: task, inner: inner).metaGradient
        // Adapt by plain SGD on constants, then differentiate the query loss at θ′.
        let adapted = MAML.adapt(model: model, parameters: parameters.map { Variable(differentiable: $0) },
                                 inputs: task.supportInputs, targets: task.supportTargets, steps: 3,
                                 learningRate: 0.02, createGraph: false).map { $0.value }
        let atAdapted = valueWithGradient(at: adapted.values) { v in
            TaskLoss.loss(model.apply(Parameters(layout: adapted.layout, values: v), Variable(task.queryInputs)), task.queryTargets)
        }.gradient.map(\.value)
        for (a, b) in zip(fomaml.values, atAdapted) { #expect(Approximate.relativeError(a, b) < 1e-12) }
    }

    @Test func firstOrderAndSecondOrderDifferOnlyByTheHessianTerm() {
        // With one inner step: second − first = −α H_support(θ) ∇L_query(θ′) (the term
        // first-order MAML drops), computed here independently as a Hessian-vector product.
        let model = SineMLP(hidden: [7, 6])
        let parameters = model.initialParameters(seed: 8, as: Double.self)
        let task: Task<Double> = SinusoidTasks().task(seed: 6, iteration: 0, index: 0, split: .train)
        let alpha = 0.03
        let second = MAML.taskStep(model: model, parameters: parameters, task: task,
                                   inner: InnerLoop(steps: 1, learningRate: alpha)).metaGradient
        let first = MAML.taskStep(model: model, parameters: parameters, task: task,
                                  inner: InnerLoop(steps: 1, learningRate: alpha, firstOrder: true)).metaGradient
        let supportLoss: GradientCheck.Function = { v in
            TaskLoss.loss(model.apply(Parameters(layout: parameters.layout, values: v), Variable(task.supportInputs)),
                          task.supportTargets)
        }
        let hvp = GradientCheck.hessianVectorProduct(of: supportLoss, at: parameters.values, direction: first.values)
        for k in 0..<parameters.count {
            let expected = hvp[k] * (-alpha)
            #expect(Approximate.relativeError(second.values[k] - first.values[k], expected) < 1e-9)
        }
    }
}
