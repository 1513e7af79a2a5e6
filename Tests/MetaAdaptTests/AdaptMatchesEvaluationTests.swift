import Foundation
import Testing
import MetaTensor
import MetaNN
import MetaTasks
import MetaAlgorithms
import MetaCheckpoint
import MetaAdapt
import MetaTestKit

/// `adapt` on held-out Omniglot tasks written as real image files, against the evaluation
/// protocol on the same tasks: the same characters, drawings and rotations (the evaluation
/// seed's tasks), the 105×105 drawings of the archives rotated and saved as PNG files in
/// support and query folders.
@Suite(.enabled(if: Fixtures.omniglotAvailable, Fixtures.omniglotSkipMessage), .serialized)
struct AdaptMatchesEvaluationTests {
    /// The archives, opened once.
    static let archives: [String: ZipArchive] = Dictionary(uniqueKeysWithValues: OmniglotDataset.archives.map {
        ($0, try! ZipArchive(path: Fixtures.omniglotDirectory + "/" + $0 + ".zip"))
    })

    /// The archive's own PNG of a drawing, decoded (105×105 gray).
    static func sourceDrawing(_ character: OmniglotDataset.Character, drawing: Int) throws -> GrayImage {
        let name = "\(character.path)/" + String(format: "%04d_%02d.png", character.id, drawing + 1)
        let archive = archives[character.archive]!
        let entry = try #require(archive.entry(named: name), "no entry \(name)")
        return try PNGDecoder.decodeGray(try archive.contents(of: entry))
    }

    /// Writes test task `index` of `tasks` as `root/support/class-K/…` and `root/query/class-K/…`:
    /// each drawing as the archive holds it, turned by its class's quarter turns, saved in one
    /// of the PNG layouts (8-bit gray, RGB, RGBA, 16-bit) by task.
    static func writeTask(_ tasks: OmniglotTasks, seed: UInt64, index: Int, to root: URL) throws {
        let episode = tasks.episode(seed: seed, iteration: 0, index: UInt32(index), split: .test)
        let layout = ImageFiles.PNGLayout.allCases[index % ImageFiles.PNGLayout.allCases.count]
        for (label, cls) in episode.classes.enumerated() {
            let character = tasks.dataset.characters[cls.character]
            for (part, drawings) in [("support", cls.supportDrawings), ("query", cls.queryDrawings)] {
                let folder = root.appendingPathComponent(part).appendingPathComponent("class-\(label)")
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                for (k, d) in drawings.enumerated() {
                    let image = try sourceDrawing(character, drawing: d)
                    let turned = OmniglotTasks.rotated(image.pixels, quarterTurns: cls.quarterTurns, side: image.width)
                    try ImageFiles.writePNG(gray: turned, width: image.width, height: image.height, as: layout,
                                            to: folder.appendingPathComponent(String(format: "drawing-%02d.png", k)))
                }
            }
        }
    }

    /// A short real training of `omniglot-5w1s-maml` (meta-batch 8, 12 iterations).
    static func trained() throws -> (RunCheckpoint, MetaTrainer<Float>) {
        var config = Fixtures.preset("omniglot-5w1s-maml")
        config.metaBatchSize = 8
        let trainer = try MetaTrainer<Float>(configuration: config)
        var state = trainer.initialState()
        for _ in 0..<12 { state = trainer.step(state).0 }
        return (RunCheckpoint(state, configuration: config), trainer)
    }

    @Test func adaptOnHeldOutTasksSavedAsPNGFilesGivesEvalsResultTaskByTask() throws {
        let (checkpoint, trainer) = try Self.trained()
        let config = trainer.configuration
        let adapter = try Adapter(checkpoint)
        #expect(adapter.steps == 3)
        let count = 120
        let rows = Evaluation.perTask(algorithm: config.algorithm, model: trainer.model, parameters: checkpoint.parameters,
                                      family: trainer.evaluationFamily, split: .test, seed: config.evaluationSeed, tasks: count,
                                      steps: adapter.steps, inner: config.inner)
        let report = trainer.evaluate(checkpoint.parameters, split: .test, tasks: count, steps: adapter.steps)
        let tasks = try #require(trainer.evaluationFamily as? OmniglotTasks)
        let root = BuiltProducts.temporaryDirectory("adapt-eval")
        defer { try? FileManager.default.removeItem(at: root) }

        var accuracies: [Double] = []
        for i in 0..<count {
            let dir = root.appendingPathComponent("task-\(i)")
            try Self.writeTask(tasks, seed: config.evaluationSeed, index: i, to: dir)
            let support = dir.appendingPathComponent("support"), query = dir.appendingPathComponent("query")
            // The files become the task's inputs, bit for bit.
            let task: Task<Float> = tasks.task(seed: config.evaluationSeed, iteration: 0, index: UInt32(i), split: .test)
            let read = try adapter.classificationInput(support: support, query: query, side: 28)
            #expect(read.input.supportInputs == task.supportInputs, "task \(i): support images")
            #expect(read.input.queryInputs == task.queryInputs, "task \(i): query images")
            #expect(read.queries.map(\.label) == [0, 1, 2, 3, 4])

            guard case let .classification(result) = try adapter.run(support: support, query: query) else {
                Issue.record("a classifier gave a regression result"); return
            }
            let accuracy = try #require(result.accuracy)
            #expect(accuracy == rows[i][adapter.steps], "task \(i): adapt \(accuracy), eval \(rows[i][adapter.steps])")
            accuracies.append(accuracy)
        }
        let mean = accuracies.reduce(0, +) / Double(count)
        let step = report.steps[adapter.steps]
        print("adapt on \(count) held-out tasks saved as PNG files: \(mean); eval: \(step.mean) ± \(step.ci95)")
        #expect(abs(mean - step.mean) <= step.ci95)
        #expect(mean > 0.2, "12 iterations of MAML should beat chance (20%) on 5-way tasks")
    }

    /// Learners that adapt in other ways (learned rates, the head only, prototypes, relation
    /// scores, learned updates): `adapt`'s logits are the evaluation's outputs on the same task.
    @Test(arguments: ["omniglot-5w1s-metasgd", "omniglot-5w1s-anil", "omniglot-5w1s-protonet",
                      "omniglot-5w1s-relationnet", "omniglot-5w1s-metalstm"])
    func everyLearnerAdaptsToFilesAsItsEvaluationDoes(_ preset: String) throws {
        let config = Fixtures.preset(preset)
        let checkpoint = Fixtures.untrained(config)
        let trainer = try MetaTrainer<Float>(configuration: config)
        let adapter = try Adapter(checkpoint)
        let tasks = try #require(trainer.evaluationFamily as? OmniglotTasks)
        let root = BuiltProducts.temporaryDirectory("adapt-learners")
        defer { try? FileManager.default.removeItem(at: root) }
        for i in 0..<2 {
            let dir = root.appendingPathComponent("task-\(i)")
            try Self.writeTask(tasks, seed: config.evaluationSeed, index: i, to: dir)
            let task: Task<Float> = tasks.task(seed: config.evaluationSeed, iteration: 0, index: UInt32(i), split: .test)
            let outputs = config.algorithm.queryOutputs(model: config.model, parameters: checkpoint.parameters,
                                                        input: AdaptationInput(task), inner: config.inner, steps: adapter.steps)
            let evaluated = config.algorithm.evaluate(model: config.model, parameters: checkpoint.parameters, task: task,
                                                      inner: config.inner, steps: adapter.steps)
            guard case let .classification(result) = try adapter.run(support: dir.appendingPathComponent("support"),
                                                                     query: dir.appendingPathComponent("query")) else {
                Issue.record("a classifier gave a regression result"); return
            }
            let expected = outputs.last!
            #expect(result.queries.count == expected.shape[0])
            for (q, row) in result.queries.enumerated() {
                #expect(row.logits == (0..<expected.shape[1]).map { Double(expected[q, $0]) }, "task \(i), query \(q)")
                #expect(abs(row.probabilities.reduce(0, +) - 1) < 1e-9)
            }
            #expect(result.accuracy == evaluated.last!)
            let bySteps = config.algorithm.learner.adaptsBySteps
            #expect(outputs.count == (bySteps ? adapter.steps + 1 : 1))
            #expect(result.model.steps == (bySteps ? adapter.steps : nil))
        }
    }
}
