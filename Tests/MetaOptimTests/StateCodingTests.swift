import Testing
import MetaTensor
import MetaNN
import MetaOptim

/// Runs `steps` updates, checkpoints the state through ParameterCoding bytes, restores it, and
/// checks that the restored state equals the original and that training continues bit-identically.
func checkStateRoundTrip<O: Optimizer>(_ optimizer: O, steps: Int) throws {
    var theta = Fixtures.parameters(O.Scalar.self)
    var state = optimizer.initialState(for: theta)
    for k in 1...steps { (theta, state) = optimizer.update(theta, gradients: Fixtures.gradients(like: theta, step: k), state: state) }

    let bytes = ParameterCoding.encode(optimizer.stateTensors(state))
    let decoded = try ParameterCoding.decode(bytes, as: O.Scalar.self)
    let restored = try optimizer.restoreState(from: decoded, for: theta)
    #expect(restored == state)
    #expect(ParameterCoding.encode(optimizer.stateTensors(restored)) == bytes)

    let g = Fixtures.gradients(like: theta, step: steps + 1)
    let continued = optimizer.update(theta, gradients: g, state: state)
    let resumed = optimizer.update(theta, gradients: g, state: restored)
    #expect(continued.parameters == resumed.parameters)
    #expect(continued.state == resumed.state)
}

@Suite struct StateCodingTests {
    @Test func adamStateRoundTripsThroughParameterCodingInFloatAndDouble() throws {
        try checkStateRoundTrip(Adam<Float>(learningRate: 0.01), steps: 3)
        try checkStateRoundTrip(Adam<Double>(learningRate: 0.01), steps: 3)
    }

    @Test func sgdStateRoundTripsThroughParameterCodingWithAndWithoutMomentum() throws {
        try checkStateRoundTrip(SGD<Float>(learningRate: 0.1), steps: 2)
        try checkStateRoundTrip(SGD<Double>(learningRate: 0.1, momentum: 0.9), steps: 2)
        try checkStateRoundTrip(SGD<Float>(learningRate: 0.1, momentum: 0.5, nesterov: true), steps: 2)
    }

    @Test func initialStateRoundTrips() throws {
        let adam = Adam<Double>(learningRate: 0.01)
        let theta = Fixtures.parameters(Double.self)
        let state = adam.initialState(for: theta)
        let decoded = try ParameterCoding.decode(ParameterCoding.encode(adam.stateTensors(state)), as: Double.self)
        #expect(try adam.restoreState(from: decoded, for: theta) == state)
    }

    @Test(arguments: [0, 1, 65_535, 65_536, 16_777_217, 123_456_789_012, Int.max - 1])
    func stepCountRoundTripsExactlyThroughFloat(_ step: Int) throws {
        let t = StepCount.tensor(step, as: Float.self)
        #expect(t.shape == [4])
        #expect(try StepCount.value(of: t, name: "step") == step)
        let decoded = try ParameterCoding.decode(ParameterCoding.encode(Parameters([("step", t)])), as: Float.self)
        #expect(try StepCount.value(of: decoded["step"], name: "step") == step)
    }

    @Test func stepCountOfIntMaxIsRejectedBecauseTheNextUpdateWouldOverflow() throws {
        // Int.max is 2⁶³ − 1: limbs 65535, 65535, 65535, 32767.
        let t = Tensor<Float>(shape: [4], scalars: [65535, 65535, 65535, 32767])
        #expect(throws: OptimizerStateError.self) { try StepCount.value(of: t, name: "adam.step") }
        #expect(try StepCount.value(of: Tensor<Float>(shape: [4], scalars: [65534, 65535, 65535, 32767]), name: "s") == Int.max - 1)
    }

    @Test func malformedStepCountsAreRejected() {
        #expect(throws: OptimizerStateError.self) { try StepCount.value(of: Tensor<Float>(shape: [3], scalars: [0, 0, 0]), name: "s") }
        #expect(throws: OptimizerStateError.self) { try StepCount.value(of: Tensor<Float>(shape: [4], scalars: [0.5, 0, 0, 0]), name: "s") }
        #expect(throws: OptimizerStateError.self) { try StepCount.value(of: Tensor<Float>(shape: [4], scalars: [-1, 0, 0, 0]), name: "s") }
        #expect(throws: OptimizerStateError.self) { try StepCount.value(of: Tensor<Float>(shape: [4], scalars: [65536, 0, 0, 0]), name: "s") }
        #expect(throws: OptimizerStateError.self) { try StepCount.value(of: Tensor<Float>(shape: [4], scalars: [.nan, 0, 0, 0]), name: "s") }
        #expect(throws: OptimizerStateError.self) { try StepCount.value(of: Tensor<Double>(shape: [4], scalars: [0, 0, 0, 65535]), name: "s") }
    }

    @Test func restoringRejectsMissingExtraAndMisshapenTensors() {
        let adam = Adam<Double>(learningRate: 0.01)
        let theta = Fixtures.parameters(Double.self)
        let good = adam.stateTensors(adam.initialState(for: theta))
        let entries = Array(zip(good.names, good.values))

        let missing = Parameters(entries.filter { $0.0 != "adam.v.scale" })
        #expect(throws: OptimizerStateError.self) { try adam.restoreState(from: missing, for: theta) }

        let extra = Parameters(entries + [("adam.u.scale", Tensor<Double>(0))])
        #expect(throws: OptimizerStateError.self) { try adam.restoreState(from: extra, for: theta) }

        let misshapen = Parameters(entries.map { $0.0 == "adam.m.layer.bias" ? ($0.0, Tensor<Double>(zeros: [4])) : $0 })
        #expect(throws: OptimizerStateError.self) { try adam.restoreState(from: misshapen, for: theta) }

        // An SGD state without momentum is not an SGD-with-momentum state, and vice versa.
        let plain = SGD<Double>(learningRate: 0.1), heavy = SGD<Double>(learningRate: 0.1, momentum: 0.9)
        #expect(throws: OptimizerStateError.self) { try heavy.restoreState(from: plain.stateTensors(plain.initialState(for: theta)), for: theta) }
        #expect(throws: OptimizerStateError.self) { try plain.restoreState(from: heavy.stateTensors(heavy.initialState(for: theta)), for: theta) }
    }

    @Test func restoredStateOrderDoesNotDependOnStoredOrder() throws {
        let adam = Adam<Double>(learningRate: 0.01)
        var theta = Fixtures.parameters(Double.self)
        var state = adam.initialState(for: theta)
        (theta, state) = adam.update(theta, gradients: Fixtures.gradients(like: theta, step: 1), state: state)
        let stored = adam.stateTensors(state)
        let reversed = Parameters(Array(zip(stored.names, stored.values).reversed()))
        #expect(try adam.restoreState(from: reversed, for: theta) == state)
    }
}
