import Testing
import MetaTensor
import MetaNN
import MetaOptim

/// Every optimizer, for the tests that must hold for all of them.
let allOptimizers: [any Optimizer<Double>] = [
    SGD<Double>(learningRate: 0.1),
    SGD<Double>(learningRate: 0.1, momentum: 0.9),
    SGD<Double>(learningRate: 0.1, momentum: 0.9, nesterov: true),
    Adam<Double>(learningRate: 0.01),
    Adam<Double>(learningRate: 0.003, beta1: 0.5, beta2: 0.9, epsilon: 1e-6),
]

/// `update` leaves its inputs unchanged and gives bit-identical outputs for the same inputs.
func checkPurity<O: Optimizer>(_ optimizer: O) throws where O.Scalar == Double {
    var theta = Fixtures.parameters(Double.self)
    var state = optimizer.initialState(for: theta)
    for k in 1...2 { (theta, state) = optimizer.update(theta, gradients: Fixtures.gradients(like: theta, step: k), state: state) }
    let g = Fixtures.gradients(like: theta, step: 3)

    let thetaCopy = Fixtures.deepCopy(theta), gCopy = Fixtures.deepCopy(g)
    let stateCopy = try optimizer.restoreState(from: Fixtures.deepCopy(optimizer.stateTensors(state)), for: theta)

    let first = optimizer.update(theta, gradients: g, state: state)
    let second = optimizer.update(theta, gradients: g, state: state)
    let fromCopies = optimizer.update(thetaCopy, gradients: gCopy, state: stateCopy)

    #expect(theta == thetaCopy)
    #expect(g == gCopy)
    #expect(state == stateCopy)
    #expect(first.parameters == second.parameters && first.state == second.state)
    #expect(first.parameters == fromCopies.parameters && first.state == fromCopies.state)
    #expect(first.parameters != theta)   // it did move
    #expect(ParameterCoding.encode(first.parameters) == ParameterCoding.encode(fromCopies.parameters))
}

@Suite struct PurityTests {
    @Test(arguments: allOptimizers.indices)
    func updateIsPureAndDeterministic(_ index: Int) throws {
        try checkPurity(allOptimizers[index])
    }

    @Test(arguments: allOptimizers.indices)
    func stepCountAdvancesByOnePerUpdate(_ index: Int) throws {
        try checkStepCount(allOptimizers[index])
    }
}

func checkStepCount<O: Optimizer>(_ optimizer: O) throws where O.Scalar == Double {
    var theta = Fixtures.parameters(Double.self)
    var state = optimizer.initialState(for: theta)
    for k in 1...4 {
        (theta, state) = optimizer.update(theta, gradients: Fixtures.gradients(like: theta, step: k), state: state)
        let stored = optimizer.stateTensors(state)
        let stepName = stored.names[0]
        #expect(try StepCount.value(of: stored[stepName], name: stepName) == k)
    }
}
