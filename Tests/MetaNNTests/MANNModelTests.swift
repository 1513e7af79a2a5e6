import Testing
import MetaTensor
import MetaAutodiff
import MetaRandom
import MetaNN
import MetaTestKit

/// The memory-augmented network and its LSTM baseline unroll whole episodes, and
/// backpropagation through time is exact.
@Suite struct MANNModelTests {
    /// The mean cross-entropy of a short episode under parameters `v` (in layout order).
    static func episodeLoss(_ model: any Model, _ layout: ParameterLayout, inputs: Tensor<Double>,
                            labels: [Int]) -> GradientCheck.Function {
        { v in Losses.crossEntropy(logits: model.apply(Parameters(layout: layout, values: v), Variable(inputs)), labels: labels) }
    }

    @Test func backpropagationThroughAWholeEpisodeMatchesFiniteDifferences() {
        let memory = LRUMemory(slots: 4, width: 3, readHeads: 2)
        let model = MANNModel(inputs: 5, classes: 2, controllerUnits: 3, memory: memory)
        let params: Parameters<Tensor<Double>> = model.initialParameters(seed: 5)
        var stream = RandomStream(seed: 6, purpose: .testing)
        let inputs: Tensor<Double> = stream.uniformTensor([5, 5], low: -1, high: 1)
        let f = Self.episodeLoss(model, params.layout, inputs: inputs, labels: [0, 1, 1, 0, 1])
        #expect(GradientCheck.firstOrderError(of: f, at: params.values) < 1e-6)
    }

    @Test func anEpisodesLossHasExactHessianVectorProducts() {
        let memory = LRUMemory(slots: 3, width: 2, readHeads: 1)
        let model = MANNModel(inputs: 3, classes: 2, controllerUnits: 2, memory: memory)
        let params: Parameters<Tensor<Double>> = model.initialParameters(seed: 8)
        var stream = RandomStream(seed: 9, purpose: .testing)
        let inputs: Tensor<Double> = stream.uniformTensor([3, 3], low: -1, high: 1)
        let f = Self.episodeLoss(model, params.layout, inputs: inputs, labels: [1, 0, 1])
        let direction = params.values.map { t -> Tensor<Double> in stream.uniformTensor(t.shape, low: -1, high: 1) }
        #expect(GradientCheck.secondOrderError(of: f, at: params.values, direction: direction) < 1e-5)
    }

    @Test func theLSTMBaselineMatchesFiniteDifferences() {
        let model = LSTMSequenceModel(inputs: 4, classes: 3, units: 3)
        let params: Parameters<Tensor<Double>> = model.initialParameters(seed: 2)
        var stream = RandomStream(seed: 3, purpose: .testing)
        let inputs: Tensor<Double> = stream.uniformTensor([4, 4], low: -1, high: 1)
        let f = Self.episodeLoss(model, params.layout, inputs: inputs, labels: [2, 0, 1, 2])
        #expect(GradientCheck.firstOrderError(of: f, at: params.values) < 1e-6)
    }

    @Test func theOutputAtAStepDoesNotDependOnLaterSteps() {
        let model = MANNModel(inputs: 3, classes: 2, controllerUnits: 4, memory: LRUMemory(slots: 3, width: 2, readHeads: 1))
        let params: Parameters<Tensor<Double>> = model.initialParameters(seed: 1)
        var stream = RandomStream(seed: 4, purpose: .testing)
        let a: Tensor<Double> = stream.uniformTensor([4, 3], low: -1, high: 1)
        var changed = a.scalars
        for j in 9..<12 { changed[j] += 1 }
        let p = params.map { Variable($0) }
        let ya = model.apply(p, Variable(a)).value, yb = model.apply(p, Variable(Tensor(shape: [4, 3], scalars: changed))).value
        #expect(Array(ya.scalars.prefix(6)) == Array(yb.scalars.prefix(6)))
        #expect(Array(ya.scalars.suffix(2)) != Array(yb.scalars.suffix(2)))
    }
}
