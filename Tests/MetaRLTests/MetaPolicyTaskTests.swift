import Testing
import Foundation
import MetaTensor
import MetaAutodiff
import MetaNN
import MetaRL
import MetaTestKit

/// A small policy (2 → 4 → 2) and short episodes, so derivatives can be checked coordinate by coordinate.
private let model = PolicyMLP(hidden: [4])
private func smallTask(innerSteps: Int, firstOrder: Bool = false) -> MetaPolicyTask<Double> {
    // Biases start at zero, which puts every hidden unit exactly on ReLU's kink at the start
    // state (0, 0); a perturbation moves the point off the kinks, where finite differences hold.
    let initial = GaussianPolicy.initialParameters(model: model, actions: 2, seed: 3, as: Double.self)
    var theta = FlatParameters.unflatten(FlatParameters.flatten(initial).enumerated().map { $1 + 0.1 * sin(1.3 * Double($0) + 0.7) },
                                         like: initial)
    theta[GaussianPolicy.logStdName] = Tensor(shape: [2], scalars: [0.2, -0.3])
    let settings = RLSettings(trajectories: 3, horizon: 6, innerSteps: innerSteps, firstOrder: firstOrder)
    return MetaPolicyTask(model: model, parameters: theta, environment: NavigationEnvironment(goal: (0.3, -0.2), horizon: 6),
                          settings: settings, seed: 5, iteration: 2, task: 1)
}

private func parameters(_ task: MetaPolicyTask<Double>, _ xs: [Variable<Double>]) -> Parameters<Variable<Double>> {
    Parameters(layout: task.theta.layout, values: xs)
}

/// A fixed direction in parameter space.
private func direction(_ count: Int) -> [Double] { (0..<count).map { sin(Double($0) * 1.7 + 0.4) } }

@Test func fisherProductEqualsTheExplicitFisherMatrixTimesTheVector() {
    let task = smallTask(innerSteps: 0)
    let theta = task.theta
    let n = theta.scalarCount
    let observations = task.postBatch.observations
    let rows = observations.shape[0]
    let sigma2 = theta[GaussianPolicy.logStdName].scalars.map { Foundation.exp(2 * $0) }
    // F = (1/rows) Σ_s Jₛᵀ diag(1/σ₁², 1/σ₂², 2, 2) Jₛ, with Jₛ the Jacobian of (μ(s), log σ) in θ:
    // the Fisher information of a diagonal Gaussian in its mean and log standard deviation.
    var fisher = [Double](repeating: 0, count: n * n)
    for r in 0..<rows {
        let s = observations.slice(axis: 0, start: r, length: 1)
        var jacobian: [[Double]] = []
        for o in 0..<2 {
            let leaves = theta.map { Variable(differentiable: $0) }
            let mean = model.apply(leaves, Variable(s)).reshaped([2]).gather(flatIndices: [Int32(o)], shape: [1]).sum()
            jacobian.append(FlatParameters.flatten(gradients(of: mean, at: leaves).map(\.value)))
        }
        for o in 0..<2 {
            let leaves = theta.map { Variable(differentiable: $0) }
            let ls = leaves[GaussianPolicy.logStdName].gather(flatIndices: [Int32(o)], shape: [1]).sum()
            jacobian.append(FlatParameters.flatten(gradients(of: ls, at: leaves).map(\.value)))
        }
        let weights = [1 / sigma2[0], 1 / sigma2[1], 2, 2]
        for k in 0..<4 { for i in 0..<n { for j in 0..<n { fisher[i * n + j] += weights[k] * jacobian[k][i] * jacobian[k][j] / Double(rows) } } }
    }
    let v = direction(n)
    let explicit = (0..<n).map { i in (0..<n).reduce(0.0) { $0 + fisher[i * n + $1] * v[$1] } }
    #expect(GradientCheck.relativeError(task.fisherProduct(v), explicit) < 1e-9)
}

@Test func outerGradientThroughTheInnerStepMatchesFiniteDifferences() {
    let task = smallTask(innerSteps: 1)
    // Away from θ (where the importance ratio is 1), so every term of the surrogate is exercised.
    let v = direction(task.theta.scalarCount)
    let point = FlatParameters.unflatten(zip(FlatParameters.flatten(task.theta), v).map { $0 + 0.05 * $1 }, like: task.theta)
    let error = GradientCheck.firstOrderError(of: { task.surrogate(parameters(task, $0)) }, at: point.values)
    #expect(error < 1e-6)
}

@Test func fisherProductThroughTheInnerStepMatchesFiniteDifferencesOfTheKLGradient() {
    do {
        let task = smallTask(innerSteps: 1)
        let v = direction(task.theta.scalarCount)
        let shaped = FlatParameters.unflatten(v, like: task.theta).values
        let eps = 1e-5
        let plus = GradientCheck.gradient(of: { task.meanKL(parameters(task, $0)) },
                                          at: zip(task.theta.values, shaped).map { $0 + $1 * eps })
        let minus = GradientCheck.gradient(of: { task.meanKL(parameters(task, $0)) },
                                           at: zip(task.theta.values, shaped).map { $0 - $1 * eps })
        let numeric = zip(plus, minus).flatMap { p, m in ((p - m) * (1 / (2 * eps))).scalars }
        #expect(GradientCheck.relativeError(task.fisherProduct(v), numeric) < 1e-6)
    }
}

@Test func secondOrderAndFirstOrderOuterGradientsDiffer() {
    func gradient(_ task: MetaPolicyTask<Double>) -> [Double] {
        guard case let .surrogate(_, g, _) = task.answer(.surrogate) else { return [] }
        return g
    }
    let second = gradient(smallTask(innerSteps: 1)), first = gradient(smallTask(innerSteps: 1, firstOrder: true))
    #expect(GradientCheck.relativeError(first, second) > 1e-4)
}
