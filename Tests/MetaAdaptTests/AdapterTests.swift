import Foundation
import Testing
import MetaTensor
import MetaAutodiff
import MetaTasks
import MetaAlgorithms
import MetaCheckpoint
import MetaAdapt
import MetaTestKit

/// What adapt accepts and refuses, on real files; sinusoid regression against the evaluation's outputs.
@Suite struct AdapterTests {
    static let classes = ["alpha", "beta", "gamma", "delta", "epsilon"]

    static func classifier() throws -> Adapter { try Adapter(Fixtures.untrained(Fixtures.preset("omniglot-5w1s-maml"))) }

    @Test func aSinusoidModelGivenImageFoldersSaysItWantsCSVFiles() throws {
        let root = BuiltProducts.temporaryDirectory("adapt-sine-images")
        defer { try? FileManager.default.removeItem(at: root) }
        let support = try Fixtures.imageFolder(root.appendingPathComponent("support"), classes: Self.classes, shots: 1)
        let adapter = try Adapter(Fixtures.untrained(Fixtures.preset("sine-maml")))
        #expect(adapter.expectation == "x,y points (regression)")
        let error = try #require(throws: AdaptError.self) {
            try adapter.run(support: support, query: support.appendingPathComponent("alpha"))
        }
        #expect(error.description == "--query \(support.path)/alpha is a folder; this model regresses y on x: give a CSV file of x (or x,y) rows")
    }

    @Test func sixClassesForAFiveWayHeadSayWhatTheModelExpects() throws {
        let root = BuiltProducts.temporaryDirectory("adapt-six")
        defer { try? FileManager.default.removeItem(at: root) }
        let support = try Fixtures.imageFolder(root.appendingPathComponent("support"), classes: Self.classes + ["zeta"], shots: 1)
        let adapter = try Self.classifier()
        #expect(adapter.expectation == "exactly 5 classes of 28×28 gray images")
        let error = try #require(throws: AdaptError.self) { try adapter.run(support: support, query: support.appendingPathComponent("zeta")) }
        #expect(error.description == "--support \(support.path) holds 6 class folders (alpha, beta, delta, epsilon, gamma, zeta); "
                + "the model's head has 5 outputs: give exactly 5 classes")
    }

    @Test func aClassifierWithoutSupportSaysWhatNamesItsOutputs() throws {
        let root = BuiltProducts.temporaryDirectory("adapt-nosupport")
        defer { try? FileManager.default.removeItem(at: root) }
        let support = try Fixtures.imageFolder(root.appendingPathComponent("support"), classes: Self.classes, shots: 1)
        let error = try #require(throws: AdaptError.self) {
            try Self.classifier().run(support: nil, query: support.appendingPathComponent("alpha"))
        }
        #expect(error.description == "omniglot-5w1s-maml is a classifier: give --support, a folder with one subfolder per class, "
                + "which names its outputs (even at --steps 0)")
    }

    @Test func sequenceLearnersCannotAdaptToASupportSet() throws {
        let error = try #require(throws: AdaptError.self) { try Adapter(Fixtures.untrained(Fixtures.preset("omniglot-5class-mann"))) }
        #expect(error.description.hasPrefix("omniglot-5class-mann uses mann, which learns within sequence episodes, not from a support set"))
    }

    @Test func unevenClassesAStrayFileAndAnUnknownQueryClassAreOneLineErrors() throws {
        let root = BuiltProducts.temporaryDirectory("adapt-bad-folders")
        defer { try? FileManager.default.removeItem(at: root) }
        let adapter = try Self.classifier()
        let support = try Fixtures.imageFolder(root.appendingPathComponent("support"), classes: Self.classes, shots: 1)
        let query = try Fixtures.imageFolder(root.appendingPathComponent("query"), classes: ["alpha", "omega"], shots: 1)
        var error = try #require(throws: AdaptError.self) { try adapter.run(support: support, query: query) }
        #expect(error.description == "--query \(query.path)/omega: no support class of that name (classes: alpha, beta, delta, epsilon, gamma)")

        try Data("notes".utf8).write(to: support.appendingPathComponent("beta/notes.txt"))
        error = try #require(throws: AdaptError.self) { try adapter.run(support: support, query: query.appendingPathComponent("alpha")) }
        #expect(error.description == "\(support.path)/beta/notes.txt: not a .png or .jpg image; remove it or convert it")

        try FileManager.default.removeItem(at: support.appendingPathComponent("beta/notes.txt"))
        try Fixtures.imageFolder(support, classes: ["gamma"], shots: 2, seed: 7)
        error = try #require(throws: AdaptError.self) { try adapter.run(support: support, query: query.appendingPathComponent("alpha")) }
        #expect(error.description == "--support \(support.path): the classes hold different numbers of images "
                + "(alpha: 1, beta: 1, delta: 1, epsilon: 1, gamma: 2); give every class the same number")

        try Data("not an image".utf8).write(to: support.appendingPathComponent("gamma/image-1.png"))
        try FileManager.default.removeItem(at: support.appendingPathComponent("gamma/image-0.png"))
        error = try #require(throws: AdaptError.self) { try adapter.run(support: support, query: query.appendingPathComponent("alpha")) }
        #expect(error.description == "\(support.path)/gamma/image-1.png: neither a PNG nor a JPEG file")
    }

    @Test func queriesOfAnySizeAndFormatAreClassifiedWithProbabilitiesThatSumToOne() throws {
        let root = BuiltProducts.temporaryDirectory("adapt-formats")
        defer { try? FileManager.default.removeItem(at: root) }
        let support = try Fixtures.imageFolder(root.appendingPathComponent("support"), classes: Self.classes, shots: 2, side: 105)
        let query = root.appendingPathComponent("query")
        try FileManager.default.createDirectory(at: query, withIntermediateDirectories: true)
        try ImageFiles.writePNG(gray: Fixtures.drawing(side: 64, seed: 3), width: 64, height: 64, as: .rgb8,
                                to: query.appendingPathComponent("a.png"))
        try Data(ImageFiles.jpeg(Fixtures.drawing(side: 50, seed: 4), width: 50, height: 50)).write(to: query.appendingPathComponent("b.JPG"))
        guard case let .classification(result) = try Self.classifier().run(support: support, query: query) else {
            Issue.record("a classifier gave a regression result"); return
        }
        #expect(result.classes == Self.classes.sorted())
        #expect(result.shots == 2)
        #expect(result.queries.map { URL(fileURLWithPath: $0.file).lastPathComponent } == ["a.png", "b.JPG"])
        for q in result.queries {
            #expect(abs(q.probabilities.reduce(0, +) - 1) < 1e-9)
            #expect(q.probability == q.probabilities.max())
            #expect(q.label == result.classes[q.logits.firstIndex(of: q.logits.max()!)!])
            #expect(q.truth == nil)
        }
        #expect(result.accuracy == nil)
    }

    /// Sinusoid tasks written as CSV files: the predictions are the evaluation's outputs on the
    /// same task, and the MSE its metric.
    @Test(arguments: [0, 1, 5])
    func regressionOnCSVFilesGivesTheEvaluationsPredictions(steps: Int) throws {
        let config = Fixtures.preset("sine-maml")
        let checkpoint = Fixtures.untrained(config)
        let adapter = try Adapter(checkpoint, steps: steps)
        let task: Task<Float> = SinusoidTasks(supportPoints: 10, queryPoints: 10)
            .task(seed: config.evaluationSeed, iteration: 0, index: 3, split: .test)
        guard case let .regression(y) = task.supportTargets, case let .regression(qy) = task.queryTargets else { return }
        let root = BuiltProducts.temporaryDirectory("adapt-sine")
        defer { try? FileManager.default.removeItem(at: root) }
        func csv(_ x: Tensor<Float>, _ y: Tensor<Float>) -> String {
            "x,y\n" + (0..<x.shape[0]).map { "\(Double(x[$0, 0])),\(Double(y[$0, 0]))" }.joined(separator: "\n") + "\n"
        }
        let support = root.appendingPathComponent("support.csv"), query = root.appendingPathComponent("query.csv")
        try Data(csv(task.supportInputs, y).utf8).write(to: support)
        try Data(csv(task.queryInputs, qy).utf8).write(to: query)

        guard case let .regression(result) = try adapter.run(support: support, query: query) else {
            Issue.record("a regression model gave a classification result"); return
        }
        let expected = config.algorithm.queryOutputs(model: config.model, parameters: checkpoint.parameters,
                                                     input: AdaptationInput(task), inner: config.inner, steps: steps).last!
        #expect(result.queries.map(\.y) == (0..<10).map { Double(expected[$0, 0]) })
        let metric = config.algorithm.evaluate(model: config.model, parameters: checkpoint.parameters, task: task,
                                               inner: config.inner, steps: steps).last!
        let mse = try #require(result.mse)
        #expect(abs(mse - metric) <= 1e-5 * max(1, metric), "adapt \(mse), eval \(metric)")
        #expect(result.model.steps == steps)
    }

    @Test func aRegressionModelPredictsWithoutSupportOnlyAtZeroSteps() throws {
        let root = BuiltProducts.temporaryDirectory("adapt-sine-nosupport")
        defer { try? FileManager.default.removeItem(at: root) }
        let query = root.appendingPathComponent("x.csv")
        try Data("0\n1.5\n".utf8).write(to: query)
        let checkpoint = Fixtures.untrained(Fixtures.preset("sine-pretrain"))
        guard case let .regression(result) = try Adapter(checkpoint, steps: 0).run(support: nil, query: query) else { return }
        let config = try checkpoint.configuration()
        let direct = config.model.apply(checkpoint.parameters.map { Variable($0) }, Variable(Tensor<Float>(shape: [2, 1], scalars: [0, 1.5]))).value
        #expect(result.queries.map(\.y) == [Double(direct[0, 0]), Double(direct[1, 0])])
        let error = try #require(throws: AdaptError.self) { try Adapter(checkpoint, steps: 2).run(support: nil, query: query) }
        #expect(error.description == "give --support, a CSV file of x,y rows, to adapt on (or --steps 0 for the model as trained)")
    }
}
