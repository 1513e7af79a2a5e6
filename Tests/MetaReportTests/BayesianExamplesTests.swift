import Foundation
import Testing
import MetaTensor
import MetaNN
import MetaTasks
import MetaAlgorithms
import MetaReport

/// The held-out pictures of a Bayesian learner: the support points, posterior draws and the
/// predictive band, next to the truth and the predictions.
@Suite struct BayesianExamplesTests {
    static let configuration = RunConfiguration(
        name: "test-abml", source: "test", algorithm: .abml, family: .ambiguous(support: 5, query: 20),
        architecture: .sineMLP(hidden: [16]), inner: InnerLoop(steps: 2, evaluationSteps: 2, learningRate: 0.005, samples: 4),
        metaBatchSize: 2, outerOptimizer: .adam(learningRate: 0.001), iterations: 10)

    /// A prior wide enough that its draws differ visibly.
    static var parameters: Parameters<Tensor<Float>> {
        var p = configuration.algorithm.initialParameters(model: configuration.model, seed: 1, as: Float.self)
        for (i, name) in p.names.enumerated() where name.hasPrefix(ABML.logSigmaPrefix) { p.values[i] = p.values[i] * 0 + -2 }
        return p
    }

    @Test func aBayesianLearnersPicturesHaveItsPosteriorDrawsAroundTheirMeanAndTheBandAroundThem() throws {
        let examples = try HeldOutExamples.predict(configuration: Self.configuration, parameters: Self.parameters, iteration: 0, tasks: 2)
        guard case .regression(let tasks) = examples.content else { Issue.record("not regression: \(examples.content)"); return }
        for task in tasks {
            #expect(task.draws.count == 4 && task.draws.allSatisfy { $0.y.count == HeldOutExamples.gridPoints })
            #expect(task.draws[0].y != task.draws[1].y, "task \(task.index): two draws are the same function")
            // The prediction after K steps is the draws' mean.
            let last = try #require(task.predictions.last)
            for j in stride(from: 0, to: HeldOutExamples.gridPoints, by: 20) {
                let mean = task.draws.map { $0.y[j] }.reduce(0, +) / 4
                #expect(abs(mean - last.y[j]) <= 1e-5 * max(1, abs(mean)))
                // The band holds every draw's value widened by the noise at its edges.
                let band = try #require(task.interval)
                let low = task.draws.map { $0.y[j] }.min()!, high = task.draws.map { $0.y[j] }.max()!
                #expect(band.lower[j] < low && band.upper[j] > high)
                #expect(band.lower[j] > low - 3 * ABML.noiseStandardDeviation && band.upper[j] < high + 3 * ABML.noiseStandardDeviation)
            }
        }
    }

    @Test func aPointEstimateHasNeitherDrawsNorABand() throws {
        var c = Self.configuration
        c.algorithm = .maml
        let p = c.algorithm.initialParameters(model: c.model, seed: 1, as: Float.self)
        let examples = try HeldOutExamples.predict(configuration: c, parameters: p, iteration: 0, tasks: 1)
        guard case .regression(let tasks) = examples.content else { Issue.record("not regression"); return }
        #expect(tasks[0].draws.isEmpty && tasks[0].interval == nil)
    }

    @Test func theChartDrawsTheBandFirstThenTheDrawsWithOneLegendEntry() throws {
        let examples = try HeldOutExamples.predict(configuration: Self.configuration, parameters: Self.parameters, iteration: 0, tasks: 1)
        let html = ReportPage(report: RunReport(config: nil, metrics: "", evaluation: nil), runDirectory: "/runs/r", examples: examples).html
        let start = try #require(html.range(of: "data-chart=\"task-0\""))
        let chart = String(html[start.lowerBound...].prefix { _ in true }.split(separator: "</svg>", maxSplits: 1)[0])
        #expect(chart.contains("data-series=\"predictive-95,draw-0,draw-1,draw-2,draw-3,truth,support,step-0,step-1,step-2\""))
        #expect(chart.components(separatedBy: "<path class=\"band\"").count - 1 == 1)
        // Four draws, the truth and three predictions are curves; the band is not.
        #expect(chart.components(separatedBy: "<path class=\"curve\"").count - 1 == 8)
        #expect(chart.components(separatedBy: ">posterior draws<").count - 1 == 1)
        #expect(chart.components(separatedBy: ">95% predictive interval<").count - 1 == 1)
        #expect(html.contains("In grey, 4 draws from the posterior after 2 steps"))
    }
}
