import Foundation
import Testing
import MetaTensor
import MetaNN
import MetaAutodiff
import MetaTasks
import MetaAlgorithms
import MetaReport

/// The held-out tasks of the report: predicted by the learner's own evaluation, drawn as
/// curves or image grids.
@Suite struct HeldOutExamplesTests {
    // MARK: Rendering

    static func regression(steps: Int) -> HeldOutExamples {
        let x = [-5.0, 0.0, 5.0]
        let task = HeldOutExamples.RegressionTask(
            index: 0, truth: .init(x: x, y: [1, 2, 3]), support: .init(x: [1.5, -2], y: [2, -1]),
            predictions: (0...steps).map { k in .init(x: x, y: x.map { $0 * Double(k) }) })
        return HeldOutExamples(learner: "maml", steps: steps, iteration: 300, content: .regression([task]))
    }

    static func page(_ examples: HeldOutExamples) -> String {
        ReportPage(report: RunReport(config: nil, metrics: "", evaluation: nil), runDirectory: "/runs/r", examples: examples).html
    }

    /// The `<svg>` of the chart `key`.
    static func chart(_ key: String, in html: String) -> String? {
        guard let start = html.range(of: "data-chart=\"\(key)\"") else { return nil }
        let rest = html[start.lowerBound...]
        return rest.range(of: "</svg>").map { String(rest[..<$0.lowerBound]) }
    }

    @Test func aRegressionTaskIsAChartOfTheTruthTheSupportPointsAndThePredictionsAfterSelectedSteps() throws {
        let html = Self.page(Self.regression(steps: 10))
        let chart = try #require(Self.chart("task-0", in: html))
        #expect(chart.contains("data-series=\"truth,support,step-0,step-1,step-2,step-5,step-10\""))
        // The support set is points, not a curve; each point has its value.
        #expect(chart.components(separatedBy: "class=\"point\"").count - 1 == 2)
        #expect(chart.contains("support: x 1.5, 2</title>") && chart.contains("support: x -2, -1</title>"))
        // Truth and five predictions are curves, the one before adaptation dashed.
        #expect(chart.components(separatedBy: "<path class=\"curve\"").count - 1 == 6)
        #expect(chart.components(separatedBy: "stroke-dasharray=\"6 4\"").count - 1 == 1)
        #expect(html.contains("after inner steps 1, 2, 5, 10."))
    }

    @Test func fewInnerStepsAreAllDrawn() throws {
        let chart = try #require(Self.chart("task-0", in: Self.page(Self.regression(steps: 3))))
        #expect(chart.contains("data-series=\"truth,support,step-0,step-1,step-2,step-3\""))
    }

    static let side = 4
    /// A 4×4 image whose pixels encode `seed`, so that images differ.
    static func image(_ seed: Int) -> HeldOutExamples.Image {
        HeldOutExamples.Image(width: side, height: side, pixels: (0..<(side * side)).map { UInt8(($0 * 17 + seed * 31) % 256) })
    }

    static let classification = HeldOutExamples(learner: "protonet", steps: 0, iteration: 50, content: .classification([
        .init(index: 0, support: [.init(image: image(0), label: 0), .init(image: image(1), label: 1)],
              queries: [.init(image: image(2), label: 0, predicted: 0), .init(image: image(3), label: 1, predicted: 0)]),
    ]))

    @Test func aWrongPredictionIsMarkedWrongAndARightOneRight() {
        let html = Self.page(Self.classification)
        #expect(html.contains("<div class=\"example-image right\" data-label=\"0\" data-predicted=\"0\">"))
        #expect(html.contains("<div class=\"example-image wrong\" data-label=\"1\" data-predicted=\"0\">"))
        #expect(html.contains("<span class=\"label\">✗ 0 (is 1)</span>"))
        #expect(html.contains("<span class=\"label\">✓ 0</span>"))
        #expect(html.contains("Test task 0: 1 of 2 queries right"))
        // Support images carry their label and no prediction.
        #expect(html.contains("<div class=\"example-image\" data-label=\"1\"><img"))
        #expect(!html.contains("after 0 inner steps"), "a learner without inner steps is not said to take steps")
    }

    @Test func imagesAreEmbeddedAsPNGsThatDecodeToTheirPixels() throws {
        let html = Self.page(Self.classification)
        let regex = try NSRegularExpression(pattern: #"<img class="example" src="data:image/png;base64,([A-Za-z0-9+/=]+)" width="(\d+)" height="(\d+)""#)
        let matches = regex.matches(in: html, range: NSRange(html.startIndex..., in: html))
        #expect(matches.count == 4)
        for (i, m) in matches.enumerated() {
            let base64 = String(html[Range(m.range(at: 1), in: html)!])
            let png = try #require(Data(base64Encoded: base64))
            let decoded = try PNGDecoder.decodeGray(Array(png))
            #expect(decoded.width == Self.side && decoded.height == Self.side)
            #expect(decoded.pixels == Self.image(i).pixels, "image \(i)")
            #expect(html[Range(m.range(at: 2), in: html)!] == "\(Self.side * 2)", "drawn at twice its size")
        }
        #expect(html.contains("img-src data:"), "the page's policy allows its own data: images")
    }

    @Test func theEncoderRefusesPixelsThatDoNotMatchTheSize() {
        #expect(throws: PNGEncoder.EncodeError.self) { try PNGEncoder.encodeGray(width: 3, height: 3, pixels: [0, 1]) }
        #expect(throws: PNGEncoder.EncodeError.self) { try PNGEncoder.encodeGray(width: 0, height: 3, pixels: []) }
    }

    @Test func unavailablePicturesSayWhy() {
        let html = Self.page(.unavailable("No pictures of held-out tasks: no checkpoint."))
        #expect(html.contains("<p class=\"empty examples-unavailable\">No pictures of held-out tasks: no checkpoint.</p>"))
        #expect(!html.contains("<img"))
    }

    @Test func theEvaluationIsAChartOfTheMetricAgainstInnerStepsWithItsConfidenceBand() throws {
        let evaluation = #"{"metric":"accuracy","tasks":600,"steps":[{"mean":0.2,"ci95":0.01},{"mean":0.9725,"ci95":0.0041}]}"#
        let page = ReportPage(report: RunReport(config: nil, metrics: "", evaluation: Data(evaluation.utf8)), runDirectory: "/runs/e")
        let chart = try #require(page.evaluationChart)
        let points = try #require(chart.series.first?.points)
        #expect(chart.series.count == 1 && points.count == 2)
        for (p, (x, y, e)) in zip(points, [(0.0, 20.0, 1.0), (1.0, 97.25, 0.41)]) {
            #expect(p.x == x && abs(p.y - y) < 1e-9 && abs((p.error ?? 0) - e) < 1e-9, "\(p)")
        }
        let svg = try #require(Self.chart("evaluation", in: page.html))
        #expect(svg.contains("<path class=\"band\""))
        #expect(svg.contains("mean ± 95% CI: inner step 1, 97.25 ± 0.41</title>"))
        #expect(ReportPage(report: RunReport(config: nil, metrics: "", evaluation: nil), runDirectory: "/r").evaluationChart == nil)
    }

    // MARK: Prediction with real learners

    static func configuration(_ algorithm: Algorithm, family: RunConfiguration.Family, architecture: RunConfiguration.Architecture,
                              inner: InnerLoop) -> RunConfiguration {
        RunConfiguration(name: "test-\(algorithm)", source: "test", algorithm: algorithm, family: family, architecture: architecture,
                         inner: inner, metaBatchSize: 2, outerOptimizer: .adam(learningRate: 0.001), iterations: 10)
    }

    @Test func sinusoidPicturesArePredictionsOnAGridAfterEachEvaluationStep() throws {
        let c = Self.configuration(.maml, family: .sinusoid(support: 5, query: 5), architecture: .sineMLP(hidden: [16]),
                                   inner: InnerLoop(steps: 1, evaluationSteps: 3, learningRate: 0.05))
        let parameters = c.algorithm.initialParameters(model: c.model, seed: 1, as: Float.self)
        let examples = try HeldOutExamples.predict(configuration: c, parameters: parameters, iteration: 0, tasks: 2)
        guard case .regression(let tasks) = examples.content else { Issue.record("not regression: \(examples.content)"); return }
        #expect(tasks.map(\.index) == [0, 1])
        let evaluationTask: Task<Float> = SinusoidTasks(supportPoints: 5, queryPoints: 5)
            .task(seed: c.evaluationSeed, iteration: 0, index: 1, split: .test)
        let task = tasks[1]
        #expect(task.support.x == evaluationTask.supportInputs.converted(to: Double.self).scalars, "the evaluation's support set")
        #expect(task.predictions.count == 4, "steps 0…3")
        #expect(task.truth.x.count == HeldOutExamples.gridPoints)
        #expect(task.truth.x.first == -5 && task.truth.x.last == 5)
        // Step 0 is the model before adaptation, on the grid.
        let grid = Tensor<Float>(shape: [task.truth.x.count, 1], scalars: task.truth.x.map { Float($0) })
        let unadapted = c.model.apply(parameters.map { Variable($0) }, Variable(grid)).value.converted(to: Double.self).scalars
        #expect(task.predictions[0].y == unadapted)
        #expect(task.predictions[3].y != unadapted, "adaptation changed nothing")
        // Adapting on the support set moves the prediction towards the truth there.
        func error(_ p: HeldOutExamples.Curve) -> Double {
            zip(task.support.x, task.support.y).map { x, y in
                let i = Int(((x + 5) / 10 * Double(HeldOutExamples.gridPoints - 1)).rounded())
                return (p.y[i] - y) * (p.y[i] - y)
            }.reduce(0, +)
        }
        #expect(error(task.predictions[3]) < error(task.predictions[0]))
    }

    @Test func imagePicturesMarkEachQueryByTheLearnersPredictionAsTheEvaluationScoresIt() throws {
        let c = Self.configuration(.protoNet, family: .syntheticImages(ways: 3, shots: 1, queries: 2, size: 16),
                                   architecture: .maxPoolCNN(filters: 8, ways: 3, side: 16),
                                   inner: InnerLoop(steps: 0, evaluationSteps: 0, learningRate: 0))
        let parameters = c.algorithm.initialParameters(model: c.model, seed: 2, as: Float.self)
        let examples = try HeldOutExamples.predict(configuration: c, parameters: parameters, iteration: 0, tasks: 3)
        guard case .classification(let tasks) = examples.content else { Issue.record("not images: \(examples.content)"); return }
        #expect(tasks.count == 3)
        let family = try RunConfiguration.makeTaskFamily(c.family)
        for t in tasks {
            #expect(t.support.map(\.label) == [0, 1, 2])
            #expect(t.queries.map(\.label) == [0, 1, 2, 0, 1, 2], "first query of each class, then the second")
            #expect(t.support.allSatisfy { $0.image.width == 16 && $0.image.height == 16 && $0.predicted == nil })
            let task: Task<Float> = family.task(seed: c.evaluationSeed, iteration: 0, index: UInt32(t.index), split: .test, as: Float.self)
            let accuracy = c.algorithm.evaluate(model: c.model, parameters: parameters, task: task, inner: c.inner, steps: 0)[0]
            let right = t.queries.filter { $0.isRight == true }.count
            #expect(Double(right) / Double(t.queries.count) == accuracy, "task \(t.index): the pictures disagree with the evaluation")
            // Ink is dark on white: the synthetic images are about 20% ink.
            let dark = t.support[0].image.pixels.filter { $0 < 128 }.count
            #expect(dark > 0 && dark < 16 * 16 / 2)
        }
    }

    @Test func aSequenceLearnerIsLeftOutWithALineSayingSo() throws {
        let c = Self.configuration(.mann, family: RunConfiguration.Family(SyntheticSequencesFamily(ways: 3, shots: 4, size: 4)),
                                   architecture: .mann(units: 16, inputs: 16 + 3, classes: 3),
                                   inner: InnerLoop(steps: 0, evaluationSteps: 0, learningRate: 0))
        let parameters = c.algorithm.initialParameters(model: c.model, seed: 1, as: Float.self)
        let examples = try HeldOutExamples.predict(configuration: c, parameters: parameters, iteration: 0, tasks: 2)
        guard case .unavailable(let reason) = examples.content else { Issue.record("\(examples.content)"); return }
        #expect(reason.contains("mann") && reason.contains("sequences"))
    }
}
