import Testing
import MetaTensor
import MetaAutodiff

/// A two-layer network's second-order quantity: the gradient, with respect to the weights,
/// of the squared norm of the input gradient (a MAML-like gradient of a gradient), plus the
/// loss. Inputs: w1 [3, 4], w2 [4, 2], x [5, 3], y [5, 2]. Uses matmul, relu, tanh, maximum,
/// broadcasting, reductions and both gradient sweeps.
private func secondOrder(_ inputs: [Tensor<Double>]) -> [Tensor<Double>] {
    let w1 = Variable(differentiable: inputs[0]), w2 = Variable(differentiable: inputs[1])
    let x = Variable(differentiable: inputs[2]), y = Variable(inputs[3])
    let h = Variable.matmul(x, w1).relu()
    let out = Variable.maximum(Variable.matmul(h, w2).tanh(), Variable(-0.5))
    let loss = (out - y).squared().mean()
    let gx = gradients(of: loss, withRespectTo: [x], createGraph: true)[0]
    let penalty = gx.squared().sum() + loss
    return gradients(of: penalty, withRespectTo: [w1, w2]).map(\.value) + [loss.value]
}

private func inputs(seed: UInt64) -> [Tensor<Double>] {
    [randomTensor([3, 4], seed: seed), randomTensor([4, 2], seed: seed + 1),
     randomTensor([5, 3], seed: seed + 2), randomTensor([5, 2], seed: seed + 3)]
}

@Suite struct TraceTests {
    @Test func replayOnNewInputsIsBitIdenticalToEagerEvaluation() throws {
        let (recordedOutputs, trace) = Trace.record(inputs: inputs(seed: 1), secondOrder)
        let program = try #require(trace)
        #expect(recordedOutputs == secondOrder(inputs(seed: 1)))
        #expect(program.instructionCount > 20)
        for seed in stride(from: UInt64(10), to: 60, by: 10) {
            #expect(program.run(inputs(seed: seed)) == secondOrder(inputs(seed: seed)), "inputs \(seed)")
        }
    }

    @Test func tracedFunctionCompilesAfterTwoMatchingRecordingsAndStaysExact() {
        let f = TracedFunction<Double>()
        let shapes = inputs(seed: 0).map(\.shape)
        for seed in stride(from: UInt64(100), to: 160, by: 10) {
            #expect(f(inputs(seed: seed), secondOrder) == secondOrder(inputs(seed: seed)), "call with inputs \(seed)")
            if seed == 100 { #expect(f.status(forShapes: shapes) == "recording") }
        }
        #expect(f.status(forShapes: shapes).hasPrefix("compiled"))
        #expect(f.compiledCount == 1)
        // Other shapes are recorded separately.
        let wide = [randomTensor([3, 6], seed: 1), randomTensor([6, 2], seed: 2), randomTensor([5, 3], seed: 3), randomTensor([5, 2], seed: 4)]
        #expect(f(wide, secondOrder) == secondOrder(wide))
        #expect(f.status(forShapes: wide.map(\.shape)) == "recording")
    }

    @Test func aTensorComputedFromValuesOutsidePrimitivesKeepsTheFunctionEager() {
        // The shift is read out of the input's values and enters as a constant: a replay
        // would reuse the first call's shift, so the two recordings must disagree.
        func shifted(_ inputs: [Tensor<Double>]) -> [Tensor<Double>] {
            let x = Variable(differentiable: inputs[0])
            let shift = Variable(Tensor(inputs[0].scalars.max()!))
            return [gradients(of: ((x - shift).exp()).sum(), withRespectTo: [x])[0].value]
        }
        let f = TracedFunction<Double>()
        for seed in UInt64(1)...4 {
            let x = [randomTensor([6], seed: seed)]
            #expect(f(x, shifted) == shifted(x), "call \(seed)")
        }
        #expect(f.status(forShapes: [[6]]) == "eager")
    }

    @Test func maxPoolingsDataDependentIndicesKeepTheFunctionEager() {
        func pooled(_ inputs: [Tensor<Double>]) -> [Tensor<Double>] {
            let x = Variable(differentiable: inputs[0])
            return [gradients(of: x.maxPool2d().squared().sum(), withRespectTo: [x])[0].value]
        }
        let f = TracedFunction<Double>()
        for seed in UInt64(1)...4 {
            let x = [randomTensor([1, 1, 4, 4], seed: seed)]
            #expect(f(x, pooled) == pooled(x), "call \(seed)")
        }
        #expect(f.status(forShapes: [[1, 1, 4, 4]]) == "eager")
    }

    @Test func recordingsThatCannotBeReplayedAreRefused() {
        let x = randomTensor([3], seed: 5)
        // An output no primitive produced (a constant).
        #expect(Trace.record(inputs: [x]) { _ in [Tensor(zeros: [3])] }.trace == nil)
        // The same tensor passed as two inputs.
        #expect(Trace.record(inputs: [x, x]) { i in [(Variable(i[0]) + Variable(i[1])).value] }.trace == nil)
        // Operations of another scalar type inside the body.
        #expect(Trace.record(inputs: [x]) { i in
            _ = (Variable(Tensor<Float>(repeating: 1, shape: [2])) * 2).value
            return [(Variable(i[0]) * 2).value]
        }.trace == nil)
        // A recording inside a recording: the inner one is refused, the outer one stands.
        let outer = Trace.record(inputs: [x]) { i -> [Tensor<Double>] in
            #expect(Trace.record(inputs: [i[0]]) { j in [(Variable(j[0]) * 3).value] }.trace == nil)
            return [(Variable(i[0]) * 2).value]
        }
        #expect(outer.trace != nil)
        #expect(outer.trace?.run([x]) == [x * 2])
    }
}
