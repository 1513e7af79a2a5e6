import Testing
import MetaTensor
import MetaNN
import MetaRL

private let model = PolicyMLP(hidden: [16, 16])
private let settings = RLSettings(trajectories: 10, horizon: 20)

private func goals(_ iteration: Int, _ count: Int, split: String = "train") -> [(x: Double, y: Double)] {
    (0..<count).map { NavigationGoals.goal(seed: 4, iteration: UInt64(iteration), index: UInt32($0), split: split) }
}

/// The mean return after one adaptation step on held-out goals.
private func adaptedReturn(_ theta: Parameters<Tensor<Double>>) -> Double {
    let returns = goals(0, 10, split: "test").enumerated().map { i, g in
        PolicyAdaptation.returns(model: model, parameters: theta, environment: NavigationEnvironment(goal: g, horizon: settings.horizon),
                                 settings: settings, steps: 1, seed: 77, iteration: 0, task: UInt32(i))[1]
    }
    return returns.reduce(0, +) / Double(returns.count)
}

@Test func metaTrainingRaisesTheReturnAfterAdaptation() {
    var theta = GaussianPolicy.initialParameters(model: model, actions: 2, seed: 4, as: Double.self)
    let before = adaptedReturn(theta)
    for iteration in 0..<12 {
        theta = MAMLTRPO.step(model: model, parameters: theta, goals: goals(iteration, 5), settings: settings,
                              trpo: TRPOSettings(maxKL: 0.05), seed: 4, iteration: UInt64(iteration)).parameters
    }
    let after = adaptedReturn(theta)
    #expect(after > before + 0.5, "return after one step: \(before) before training, \(after) after")
}

@Test func aMetaIterationIsTheSameBitsForTheSameSeed() {
    let theta = GaussianPolicy.initialParameters(model: model, actions: 2, seed: 4, as: Float.self)
    func run(_ seed: UInt64) -> (Parameters<Tensor<Float>>, TRPOStep.Outcome) {
        let r = MAMLTRPO.step(model: model, parameters: theta, goals: goals(0, 3), settings: settings, trpo: .paper, seed: seed, iteration: 0)
        return (r.parameters, r.outcome)
    }
    let (a, oa) = run(4), (b, ob) = run(4), (c, _) = run(5)
    #expect(a == b && oa == ob)
    #expect(oa.accepted)
    #expect(a != theta && a != c)
}
