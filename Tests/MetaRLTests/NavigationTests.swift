import Testing
import MetaTensor
import MetaNN
import MetaRL

@Test func navigationClipsMovesAndRewardsMinusTheDistanceToTheGoal() {
    let env = NavigationEnvironment(goal: (0.3, 0.4))
    let (next, reward, done) = env.step(from: (0, 0), action: (5, -0.5))
    #expect(next.x == 0.1 && abs(next.y + 0.05) < 1e-15)
    #expect(abs(reward + ((0.2 * 0.2) + (0.45 * 0.45)).squareRoot()) < 1e-12)
    #expect(!done)
    #expect(env.step(from: (0.295, 0.405), action: (0.01, -0.01)).done)
}

@Test func goalsLieInTheSquareAndDifferBySplit() {
    let goals = (0..<200).map { NavigationGoals.goal(seed: 1, iteration: 0, index: UInt32($0), split: "train") }
    #expect(goals.allSatisfy { abs($0.x) <= 0.5 && abs($0.y) <= 0.5 })
    #expect(goals.contains { $0.x < -0.4 } && goals.contains { $0.x > 0.4 })
    let test = NavigationGoals.goal(seed: 1, iteration: 0, index: 0, split: "test")
    #expect(test != goals[0])
}

@Test func rolloutsArePureFunctionsOfTheirKeys() {
    let model = PolicyMLP(hidden: [8])
    let theta = GaussianPolicy.initialParameters(model: model, actions: 2, seed: 1, as: Float.self)
    let env = NavigationEnvironment(goal: (0.2, 0.1), horizon: 10)
    func sample(_ iteration: UInt64, _ phase: Int) -> [Path] {
        Rollouts.sample(environment: env, model: model, parameters: theta, trajectories: 4, seed: 9, iteration: iteration, task: 3, phase: phase)
    }
    #expect(sample(1, 0) == sample(1, 0))
    #expect(sample(1, 0) != sample(2, 0))
    #expect(sample(1, 0) != sample(1, 1))
    #expect(sample(1, 0).allSatisfy { $0.steps == 10 && $0.actions.count == 20 })
}
