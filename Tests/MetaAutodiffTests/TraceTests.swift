import Foundation
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

    @Test func replayLowersEveryPrimitiveOfADenseNetworkToAKernelCall() throws {
        let program = try #require(Trace.record(inputs: inputs(seed: 1), secondOrder).trace)
        #expect(program.fallbackInstructionCount == 0)
    }

    /// A convolution with slices, an embedding and a concatenation around it: primitives that
    /// the replay evaluates through `Primitive.evaluate` on copies, between lowered ones.
    private static func convolutionWithSlices(_ inputs: [Tensor<Double>]) -> [Tensor<Double>] {
        let x = Variable(differentiable: inputs[0]), w = Variable(differentiable: inputs[1])
        let y = Variable.conv2d(x, w, padding: 1).relu()
        let parts = Variable.concatenate([y.slice(axis: 1, start: 1, length: 1), y.slice(axis: 1, start: 0, length: 1)], axis: 1)
        let loss = (parts.embedded(axis: 3, start: 1, size: 6) * 2).squared().sum()
        let g = gradients(of: loss, withRespectTo: [x, w], createGraph: true)
        return gradients(of: g[0].squared().sum() + loss, withRespectTo: [w]).map(\.value) + [g[1].value]
    }

    @Test func replayOfPrimitivesWithoutALoweringIsBitIdenticalToEagerEvaluation() throws {
        func inputs(_ seed: UInt64) -> [Tensor<Double>] { [randomTensor([2, 1, 4, 4], seed: seed), randomTensor([2, 1, 3, 3], seed: seed + 1)] }
        let program = try #require(Trace.record(inputs: inputs(1), Self.convolutionWithSlices).trace)
        #expect(program.fallbackInstructionCount > 0)
        for seed in stride(from: UInt64(10), to: 40, by: 10) {
            #expect(program.run(inputs(seed)) == Self.convolutionWithSlices(inputs(seed)), "inputs \(seed)")
        }
    }

    @Test func concurrentReplaysOfOneTraceAreEachBitIdenticalToEagerEvaluation() throws {
        let program = try #require(Trace.record(inputs: inputs(seed: 1), secondOrder).trace)
        let seeds = (0..<8).map { UInt64(200 + 10 * $0) }
        let expected = seeds.map { secondOrder(inputs(seed: $0)) }
        let matched = Flags(count: seeds.count)
        DispatchQueue.concurrentPerform(iterations: seeds.count) { i in
            var same = true
            for _ in 0..<200 { same = same && program.run(inputs(seed: seeds[i])) == expected[i] }
            matched.set(i, same)
        }
        for i in seeds.indices { #expect(matched.get(i), "inputs \(seeds[i])") }
    }
}

/// One flag per index, set from several threads.
private final class Flags: @unchecked Sendable {
    private let lock = NSLock()
    private var flags: [Bool]
    init(count: Int) { flags = [Bool](repeating: false, count: count) }
    func set(_ i: Int, _ value: Bool) { lock.withLock { flags[i] = value } }
    func get(_ i: Int) -> Bool { lock.withLock { flags[i] } }
}
