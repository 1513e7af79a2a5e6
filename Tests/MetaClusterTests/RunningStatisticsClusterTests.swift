import Foundation
import Testing
import MetaTensor
import MetaNN
import MetaAlgorithms
import MetaRuntime
import MetaCluster

/// Batch norm's running statistics travel in the tasks' results and are reduced in task order,
/// so two workers end with the one-process parameters, running statistics included, bit for bit.
@Suite(.serialized) struct RunningStatisticsClusterTests {
    static func configuration() -> RunConfiguration {
        var c = RunConfiguration.presets["sine-maml"]!
        c.family = .syntheticImages(ways: 3, shots: 1, queries: 2, size: 28)
        c.architecture = .convEncoder(blocks: 2, filters: 4, ways: 3)
        c.inner = InnerLoop(steps: 1, evaluationSteps: 1, learningRate: 0.4)
        c.batchNorm = .runningStatistics
        // Two reduction blocks, so each of two workers can take one.
        c.metaBatchSize = 8
        c.iterations = 3
        return c
    }

    @Test func twoWorkersGiveTheOneProcessRunningStatistics() throws {
        let n = 3
        let trainer = try MetaTrainer<Float>(configuration: Self.configuration())
        var state = trainer.initialState()
        for _ in 0..<n { state = trainer.step(state).0 }
        let reference = state.parameters
        #expect(reference["block2.norm.running_var"] != trainer.initialState().parameters["block2.norm.running_var"])

        let network = InMemoryNetwork()
        let options = Coordinator.Options(bind: "memory", minWorkers: 2, heartbeat: HeartbeatSettings(interval: 0.1, timeout: 5),
                                          identity: InMemoryClusterTests.identity, deadlines: ShardDeadlines(floor: 10, cap: 30),
                                          log: { _ in })
        let coordinator = Coordinator(trainer: try MetaTrainer<Float>(configuration: Self.configuration()), options: options,
                                      transport: network.coordinator())
        let workers = InMemoryClusterTests.Workers(2, network: network)
        let parameters = try InMemoryClusterTests.train(coordinator, iterations: n)
        _ = workers.wait()
        for name in trainer.model.runningStatisticNames {
            #expect(parameters[name] == reference[name], "\(name)")
        }
        #expect(parameters == reference)
    }
}
