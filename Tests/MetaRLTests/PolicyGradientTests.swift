import Foundation
import Testing
import MetaTensor
import MetaAutodiff
import MetaRL
import MetaTestKit

/// A two-step decision problem small enough to enumerate: from state 0, action a leads to
/// state a; rewards r(s, a) from a table; a softmax policy with logits θ[s, a]. Its expected
/// return is an exact finite sum over the four trajectories.
private enum TwoStepProblem {
    static let rewards: [[Double]] = [[1.0, -0.5], [0.3, 2.0]]
    /// The four trajectories (a₀, a₁) with their states (0, a₀).
    static let trajectories = [(0, 0), (0, 1), (1, 0), (1, 1)]

    static func probabilities(_ logits: [Double]) -> [[Double]] {
        (0..<2).map { s in
            let e = (0..<2).map { Foundation.exp(logits[2 * s + $0]) }
            return e.map { $0 / e.reduce(0, +) }
        }
    }

    /// E[R] = Σ_τ p(τ) R(τ), exactly.
    static func expectedReturn(_ logits: [Double]) -> Double {
        let pi = probabilities(logits)
        return trajectories.reduce(0) { sum, t in
            sum + pi[0][t.0] * pi[t.0][t.1] * (rewards[0][t.0] + rewards[t.0][t.1])
        }
    }
}

@Test func policyGradientSurrogateHasTheGradientOfTheExactExpectedReturn() {
    let logits = [0.3, -0.2, 0.5, 0.1]
    let pi = TwoStepProblem.probabilities(logits)
    // One row per step of each trajectory; advantages are the return-to-go (Path, γ = 1) minus a
    // state baseline, weighted by n·p(τ) so the surrogate's mean is the exact expectation.
    var indices: [Int32] = [], advantages: [Double] = []
    let baseline = [0.7, -0.4]
    for t in TwoStepProblem.trajectories {
        let path = Path(observations: [0, Double(t.0)], actions: [Double(t.0), Double(t.1)],
                        rewards: [TwoStepProblem.rewards[0][t.0], TwoStepProblem.rewards[t.0][t.1]])
        let p = pi[0][t.0] * pi[t.0][t.1]
        let toGo = path.discountedReturns(discount: 1)
        let states = [0, t.0], actions = [t.0, t.1]
        for k in 0..<2 {
            indices.append(Int32(2 * states[k] + actions[k]))
            advantages.append(p * (toGo[k] - baseline[states[k]]))
        }
    }
    let n = Double(advantages.count)
    let weighted = Tensor<Double>(shape: [advantages.count], scalars: advantages.map { $0 * n })
    let theta = Variable(differentiable: Tensor<Double>(shape: [2, 2], scalars: logits))
    let logli = theta.logSoftmax(alongAxis: 1).gather(flatIndices: indices, shape: [indices.count])
    let surrogate = PolicyGradient.surrogate(logLikelihoods: logli, advantages: weighted)
    let analytic = gradients(of: surrogate, withRespectTo: [theta])[0].value.scalars.map { -$0 }

    let eps = 1e-6
    let numeric = (0..<4).map { i -> Double in
        var plus = logits, minus = logits
        plus[i] += eps; minus[i] -= eps
        return (TwoStepProblem.expectedReturn(plus) - TwoStepProblem.expectedReturn(minus)) / (2 * eps)
    }
    #expect(GradientCheck.relativeError(analytic, numeric) < 1e-7)
}

@Test func discountedReturnsSumFutureRewardsGeometrically() {
    let path = Path(observations: [0, 0, 0, 0, 0, 0], actions: [0, 0, 0, 0, 0, 0], rewards: [1, 2, 3])
    let r = path.discountedReturns(discount: 0.5)
    #expect(r == [1 + 0.5 * 2 + 0.25 * 3, 2 + 0.5 * 3, 3])
    #expect(path.totalReward == 6)
}
