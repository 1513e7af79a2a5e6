import Foundation
import Testing
import MetaAlgorithms
import MetaConfig
import MetaCheckpoint
import MetaTestKit
import MetaTraining

/// The training loop on a tiny sinusoid run: deterministic, resumable, and what it writes.
@Suite struct TrainingLoopTests {
    /// `sine-maml` shrunk to a few iterations of two tasks, validating at iteration 2.
    static func tiny(iterations: Int = 4, seed: UInt64 = 7) -> RunConfiguration {
        var c = RunConfiguration.presets["sine-maml"]!
        c.iterations = iterations
        c.seed = seed
        c.metaBatchSize = 2
        c.validationInterval = 2
        c.validationTasks = 3
        c.evaluationTasks = 3
        return c
    }

    static func loop(_ config: RunConfiguration, in directory: URL, checkpointEvery: Int? = nil) throws -> TrainingLoop {
        TrainingLoop(configuration: config, trainer: try MetaTrainer<Float>(configuration: config), directory: directory,
                     checkpointEvery: checkpointEvery, keep: 5, threads: 1)
    }

    /// Trains `config` from scratch (or from the newest checkpoint with `resume`) in `directory`.
    static func train(_ config: RunConfiguration, in directory: URL, resume: Bool = false,
                      checkpointEvery: Int? = nil) throws -> MetaTrainer<Float>.State {
        let loop = try loop(config, in: directory, checkpointEvery: checkpointEvery)
        let start = try loop.startingState(resume: resume, log: { _ in })
        let ending = try loop.run(from: start) { state in
            let (next, metrics) = loop.trainer.step(state)
            return StepOutcome(state: next, metrics: metrics)
        }
        guard case .finished(let state) = ending else { throw RunError("interrupted") }
        return state
    }

    static func records(_ directory: URL) throws -> [[String: Any]] {
        try String(contentsOf: directory.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
            .split(separator: "\n").map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
    }

    @Test func theSameSeedGivesTheSameParametersTwiceAndAnotherSeedOthers() throws {
        let a = BuiltProducts.temporaryDirectory("loop-a"), b = BuiltProducts.temporaryDirectory("loop-b")
        let c = BuiltProducts.temporaryDirectory("loop-c")
        defer { for d in [a, b, c] { try? FileManager.default.removeItem(at: d) } }

        let first = try Self.train(Self.tiny(), in: a)
        let second = try Self.train(Self.tiny(), in: b)
        let other = try Self.train(Self.tiny(seed: 8), in: c)

        #expect(first.iteration == 4 && second.iteration == 4)
        #expect(first.parameters == second.parameters)
        #expect(first.parameters != other.parameters)
        // The final checkpoint holds exactly the returned state.
        let saved = try RunCheckpoint.read(from: a.appendingPathComponent("final.ckpt"))
        #expect(saved.iteration == 4)
        #expect(saved.parameters == first.parameters)
    }

    @Test func resumingFromAPeriodicCheckpointEndsWhereAnUninterruptedRunEnds() throws {
        let whole = BuiltProducts.temporaryDirectory("loop-whole"), parts = BuiltProducts.temporaryDirectory("loop-parts")
        defer { for d in [whole, parts] { try? FileManager.default.removeItem(at: d) } }

        let uninterrupted = try Self.train(Self.tiny(iterations: 4), in: whole)
        // The first process stops at 2 (its final checkpoint); the second continues to 4.
        _ = try Self.train(Self.tiny(iterations: 2), in: parts)
        let resumed = try Self.train(Self.tiny(iterations: 4), in: parts, resume: true)

        #expect(resumed.iteration == 4)
        #expect(resumed.parameters == uninterrupted.parameters)
    }

    @Test func resumingFromACheckpointOfAnotherConfigurationIsRefused() throws {
        let dir = BuiltProducts.temporaryDirectory("loop-other")
        defer { try? FileManager.default.removeItem(at: dir) }
        _ = try Self.train(Self.tiny(iterations: 2), in: dir)

        let loop = try Self.loop(Self.tiny(seed: 99), in: dir)
        let error = #expect(throws: RunError.self) { try loop.startingState(resume: true, log: { _ in }) }
        #expect(error?.description.contains("was trained with another configuration") == true, "\(String(describing: error))")
    }

    @Test func resumingWithAnotherSourceLineContinuesTheRun() throws {
        let whole = BuiltProducts.temporaryDirectory("loop-source-whole"), parts = BuiltProducts.temporaryDirectory("loop-source-parts")
        defer { for d in [whole, parts] { try? FileManager.default.removeItem(at: d) } }
        let uninterrupted = try Self.train(Self.tiny(iterations: 4), in: whole)
        _ = try Self.train(Self.tiny(iterations: 2), in: parts)
        var restated = Self.tiny(iterations: 4)
        restated.source += "; a departure stated later"
        let resumed = try Self.train(restated, in: parts, resume: true)
        #expect(resumed.iteration == 4)
        #expect(resumed.parameters == uninterrupted.parameters)
    }

    @Test func resumingAnEmptyDirectoryStartsFromIterationZero() throws {
        let dir = BuiltProducts.temporaryDirectory("loop-empty")
        defer { try? FileManager.default.removeItem(at: dir) }
        let logged = Lines()
        let start = try Self.loop(Self.tiny(), in: dir).startingState(resume: true, log: logged.append)
        #expect(start.iteration == 0)
        #expect(logged.all.contains { $0.contains("no checkpoint") }, "\(logged.all)")
    }

    @Test func metricsRecordTrainingValidationAndCheckpoints() throws {
        let dir = BuiltProducts.temporaryDirectory("loop-metrics")
        defer { try? FileManager.default.removeItem(at: dir) }
        _ = try Self.train(Self.tiny(iterations: 4), in: dir, checkpointEvery: 2)

        let records = try Self.records(dir)
        let train = records.filter { $0["kind"] as? String == "train" }
        // The last iteration always gets a training record.
        #expect(train.last?["iteration"] as? Int == 4)
        #expect(train.allSatisfy { $0["metric"] as? String == "mse" && $0["meta_loss"] is Double && $0["tasks_per_second"] is Double })
        let validation = records.filter { $0["kind"] as? String == "validation" }
        #expect(validation.map { $0["iteration"] as? Int } == [2])
        #expect(validation.first?["steps"] as? Int == Self.tiny().inner.steps)
        let checkpoints = records.filter { $0["kind"] as? String == "checkpoint" }.compactMap { $0["path"] as? String }
        #expect(checkpoints == ["iteration-2.ckpt", "final.ckpt"])
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("iteration-2.ckpt").path))
    }

    /// A sequence learner's validation is the accuracy at the last presentation of a class.
    @Test func aSequenceLearnersValidationIsAtTheLastPresentation() throws {
        let dir = BuiltProducts.temporaryDirectory("loop-mann")
        defer { try? FileManager.default.removeItem(at: dir) }
        var c = Self.tiny(iterations: 2)
        c.algorithm = .mann
        c.family = RunConfiguration.Family(SyntheticSequencesFamily(ways: 3, shots: 4, size: 4))
        c.architecture = .lstm(units: 8, inputs: 16 + 3, classes: 3)
        c.inner = InnerLoop(steps: 0, evaluationSteps: 0, learningRate: 0)
        c.validationInterval = 1
        _ = try Self.train(c, in: dir)
        let validation = try Self.records(dir).filter { $0["kind"] as? String == "validation" }
        #expect(validation.count == 1)
        #expect(validation.first?["presentation"] as? Int == 4)
        #expect(validation.first?["steps"] == nil)
        #expect(validation.first?["metric"] as? String == "accuracy")
    }
}
