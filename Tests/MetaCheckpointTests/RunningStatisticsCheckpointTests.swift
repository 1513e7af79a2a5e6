import Testing
import Foundation
import MetaTensor
import MetaNN
import MetaAlgorithms
import MetaCheckpoint

/// Batch norm's running statistics are parameters, so a checkpoint holds and verifies them,
/// and a run resumed from one continues with the same bits.
@Suite struct RunningStatisticsCheckpointTests {
    static func configuration() -> RunConfiguration {
        var c = RunConfiguration.presets["sine-maml"]!
        c.family = .syntheticImages(ways: 3, shots: 1, queries: 2, size: 28)
        c.architecture = .convEncoder(blocks: 2, filters: 4, ways: 3)
        c.inner = InnerLoop(steps: 1, evaluationSteps: 1, learningRate: 0.4)
        c.batchNorm = .runningStatistics
        c.metaBatchSize = 2
        return c
    }

    @Test func runningStatisticsSurviveACheckpointAndTheResumedRunIsBitIdentical() throws {
        let c = Self.configuration()
        let trainer = try MetaTrainer<Float>(configuration: c)
        var state = trainer.initialState()
        for _ in 0..<2 { state = trainer.step(state).0 }
        let names = trainer.model.runningStatisticNames
        #expect(names.count == 4)
        #expect(state.parameters["block1.norm.running_mean"] != trainer.initialState().parameters["block1.norm.running_mean"])

        let dir = try RunCheckpointTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("checkpoint.ckpt")
        try RunCheckpoint(state, configuration: c).write(to: url)
        let loaded = try RunCheckpoint.read(from: url)
        let configuration = try loaded.configuration()
        #expect(configuration.batchNorm == .runningStatistics)
        try loaded.checkParametersFit(configuration)
        let restored = try loaded.trainerState()
        for name in names { #expect(restored.parameters[name] == state.parameters[name], "\(name)") }

        let resumedTrainer = try MetaTrainer<Float>(configuration: configuration)
        #expect(resumedTrainer.step(restored).0.parameters == trainer.step(state).0.parameters)

        // A configuration without running statistics does not fit these parameters.
        var transductive = configuration
        transductive.batchNorm = .batchStatistics
        #expect(throws: CheckpointError.self) { try loaded.checkParametersFit(transductive) }
    }
}
