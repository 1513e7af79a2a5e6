import Testing
import MetaTensor
import MetaAutodiff
import MetaRandom
import MetaNN
import MetaTestKit

/// The building blocks later learners need (meta-learner LSTM, memory-augmented networks)
/// differentiate correctly to second order.
@Suite struct RecurrentAndMemoryGradientTests {
    @Test func lstmCellTwoStepsMatchesFiniteDifferencesToSecondOrder() {
        let cell = LSTMCell("lstm", inputs: 3, hidden: 4)
        var stream = RandomStream(seed: 4, purpose: .testing)
        let params = Parameters<Tensor<Double>>(cell.initialParameters(using: &stream))
        let x1: Tensor<Double> = stream.uniformTensor([2, 3], low: -1, high: 1)
        let x2: Tensor<Double> = stream.uniformTensor([2, 3], low: -1, high: 1)
        let f: GradientCheck.Function = { v in
            let p = Parameters(layout: params.layout, values: Array(v.prefix(3)))
            let zeros = Variable(Tensor<Double>(zeros: [2, 4]))
            let s1 = cell.step(p, input: v[3], hidden: zeros, cell: zeros)
            let s2 = cell.step(p, input: Variable(x2), hidden: s1.hidden, cell: s1.cell)
            return (s2.hidden * s2.hidden).sum() + s2.cell.sum()
        }
        let point = params.values + [x1]
        let direction = point.map { t -> Tensor<Double> in stream.uniformTensor(t.shape, low: -1, high: 1) }
        #expect(GradientCheck.firstOrderError(of: f, at: point) < 1e-7)
        #expect(GradientCheck.secondOrderError(of: f, at: point, direction: direction) < 1e-6)
    }

    @Test func lstmForgetGateBiasStartsAtOne() {
        var stream = RandomStream(seed: 1, purpose: .testing)
        let p: [(String, Tensor<Float>)] = LSTMCell("c", inputs: 2, hidden: 3).initialParameters(using: &stream)
        #expect(p[2].1.scalars == [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0])
    }

    @Test func contentAddressingWeightsAreASoftmaxOverCosineSimilarity() {
        let keys = Tensor<Double>(shape: [1, 2], scalars: [1, 0])
        let memory = Tensor<Double>(shape: [3, 2], scalars: [1, 0, 0, 1, -1, 0])
        let w = ContentAddressing.weights(keys: Variable(keys), memory: Variable(memory), strength: Variable(Tensor(2.0))).value
        // cosines 1, 0, −1 → softmax(2, 0, −2); the ε = 1e-8 under each norm's square root
        // moves the cosines by ~5e-9, hence the tolerance.
        let e = [2.0, 0, -2].map { Double.exp($0) }, z = e.reduce(0, +)
        for j in 0..<3 { #expect(Swift.abs(w[0, j] - e[j] / z) < 1e-7) }
    }

    @Test func contentAddressedReadMatchesFiniteDifferencesToSecondOrder() {
        var stream = RandomStream(seed: 7, purpose: .testing)
        let keys: Tensor<Double> = stream.uniformTensor([2, 3], low: -1, high: 1)
        let memory: Tensor<Double> = stream.uniformTensor([4, 3], low: -1, high: 1)
        let strength = Tensor<Double>(shape: [], scalars: [1.5])
        let f: GradientCheck.Function = { v in ContentAddressing.read(keys: v[0], memory: v[1], strength: v[2]).tanh().sum() }
        let point = [keys, memory, strength]
        let direction = point.map { t -> Tensor<Double> in stream.uniformTensor(t.shape, low: -1, high: 1) }
        #expect(GradientCheck.firstOrderError(of: f, at: point) < 1e-7)
        #expect(GradientCheck.secondOrderError(of: f, at: point, direction: direction) < 1e-6)
    }
}
