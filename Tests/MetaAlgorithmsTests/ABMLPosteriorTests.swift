import Foundation
import Testing
import MetaTensor
import MetaNN
import MetaTasks
import MetaAlgorithms

/// The adapted posterior is a distribution over functions, not a point: the support data pin
/// it down where they are and leave it uncertain away from them.
@Suite struct ABMLPosteriorTests {
    static let model = SineMLP(hidden: [16, 16])
    static let supportX: [Double] = [-1, -0.5, 0, 0.5, 1]
    static let farX: [Double] = [-5, -4.5, 4.5, 5]

    /// The mean over query points of the draws' variance.
    static func spread(_ draws: [Tensor<Double>], points: Range<Int>) -> Double {
        let n = Double(draws.count)
        return points.map { j in
            let values = draws.map { $0.scalars[j] }
            let mean = values.reduce(0, +) / n
            return values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n
        }.reduce(0, +) / Double(points.count)
    }

    /// Five points on the line y = 2x + 1 in [−1, 1]; queries at them and far outside (x = ±4.5,
    /// ±5). A posterior collapsed to one function (draws equal to the mean) fails both checks.
    @Test func theAdaptedPosteriorIsWiderAwayFromTheSupportPointsThanAtThemAndNotAPoint() {
        let inner = InnerLoop(steps: 100, learningRate: 0.003, samples: 16, priorLogSigma: -1.5)
        let p = ABML.initialParameters(model: Self.model, seed: 3, inner: inner, as: Double.self)
        let x = Tensor<Double>(shape: [5, 1], scalars: Self.supportX)
        let y = Tensor<Double>(shape: [5, 1], scalars: Self.supportX.map { 2 * $0 + 1 })
        let queries = Tensor<Double>(shape: [9, 1], scalars: Self.supportX + Self.farX)
        let input = AdaptationInput(supportInputs: x, supportTargets: .regression(y), queryInputs: queries)
        let steps = ABML.sampleOutputs(model: Self.model, parameters: p, input: input, inner: inner, steps: inner.steps)
        let atSupport = 0..<5, far = 5..<9
        let before = Self.spread(steps[0], points: atSupport), after = Self.spread(steps.last!, points: atSupport)
        let farBefore = Self.spread(steps[0], points: far), farAfter = Self.spread(steps.last!, points: far)
        let figures = "variance at the support points \(before) → \(after), far away \(farBefore) → \(farAfter)"
        // The posterior is not one function …
        #expect(after > 1e-3, "the posterior collapsed to a point: \(figures)")
        // … and it is several times wider away from the data than at them.
        #expect(farAfter > 4 * after, "\(figures)")
    }
}
