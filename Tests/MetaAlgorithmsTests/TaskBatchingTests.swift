import Testing
import MetaTensor
import MetaNN
import MetaTasks
import MetaAlgorithms

/// Batching a shard of tasks into one graph changes nothing but speed.
@Suite struct TaskBatchingTests {
    @Test(arguments: [false, true])
    func batchedMAMLIsBitIdenticalToTaskByTask(firstOrder: Bool) {
        let model = SineMLP()
        let parameters = model.initialParameters(seed: 7, as: Float.self)
        let tasks: [Task<Float>] = (0..<9).map { SinusoidTasks().task(seed: 3, iteration: 11, index: UInt32($0), split: .train) }
        let inner = InnerLoop(steps: 2, learningRate: 0.01, firstOrder: firstOrder)
        #expect(TaskBatching.applies(model: model, tasks: tasks))
        let batched = TaskBatching.mamlTaskSteps(model: model, parameters: parameters, tasks: tasks, inner: inner)
        for (i, task) in tasks.enumerated() {
            let alone = MAML.taskStep(model: model, parameters: parameters, task: task, inner: inner)
            #expect(batched[i].loss == alone.loss, "task \(i)")
            #expect(batched[i].metric == alone.metric, "task \(i)")
            #expect(batched[i].metaGradient == alone.metaGradient, "task \(i)")
        }
    }

    @Test func trainingIsBitIdenticalWhateverTheShardSize() throws {
        // The trainer batches the whole meta-batch; the same iterations computed as shards of
        // one task must give the same parameters, bit for bit.
        var config = RunConfiguration.presets["sine-maml"]!
        config.metaBatchSize = 6
        let trainer = try MetaTrainer<Float>(configuration: config)
        var batched = trainer.initialState(), single = batched
        for _ in 0..<5 {
            batched = trainer.step(batched).0
            let results = (0..<config.metaBatchSize).map { trainer.taskResult(parameters: single.parameters, iteration: single.iteration, index: $0) }
            single = trainer.apply(results, to: single).0
        }
        #expect(batched.parameters == single.parameters)
        #expect(batched.optimizer == single.optimizer)
    }

    @Test func batchingDoesNotApplyToModelsOrTasksItCannotHandle() {
        let cnn = ConvNet(inChannels: 1, imageSize: 8, filters: 2, ways: 2, downsampling: .strided, pooling: .spatialMean, blocks: 1)
        let images: [Task<Float>] = (0..<3).map { SyntheticImageTasks(ways: 2, shots: 1, queries: 1, size: 8).task(seed: 1, iteration: 0, index: UInt32($0), split: .train) }
        #expect(!TaskBatching.applies(model: cnn, tasks: images))
        let sines: [Task<Float>] = (0..<3).map { SinusoidTasks().task(seed: 1, iteration: 0, index: UInt32($0), split: .train) }
        #expect(!TaskBatching.applies(model: SineMLP(), tasks: [sines[0]]))
    }
}

/// A shard's block sums from the batched graph equal the reduction of per-task results.
@Suite struct ShardResultTests {
    @Test(arguments: [4, 10, 12])
    func batchedShardBlockSumsAreBitIdenticalToReducingTaskByTaskResults(taskCount: Int) {
        let model = SineMLP()
        let parameters = model.initialParameters(seed: 5, as: Float.self)
        let tasks: [Task<Float>] = (0..<taskCount).map { SinusoidTasks().task(seed: 8, iteration: 2, index: UInt32($0), split: .train) }
        let inner = InnerLoop(steps: 1, learningRate: 0.01, firstOrder: false)
        let batched = Algorithm.maml.shardResult(model: model, parameters: parameters, tasks: tasks, inner: inner)
        let alone = ShardResult(tasks.map { MAML.taskStep(model: model, parameters: parameters, task: $0, inner: inner) })
        #expect(batched.blockSums.count == (taskCount + 3) / 4)
        #expect(batched.blockSums == alone.blockSums)
        #expect(batched.losses == alone.losses)
        #expect(batched.metrics == alone.metrics)
    }
}

/// Recording the batched step and replaying it changes nothing but speed.
@Suite struct TracedTrainingTests {
    @Test(arguments: [false, true])
    func tracedTrainingIsBitIdenticalToEagerTraining(firstOrder: Bool) throws {
        var config = RunConfiguration.presets["sine-maml"]!
        config.metaBatchSize = 10
        config.inner.firstOrder = firstOrder
        let traced = try MetaTrainer<Float>(configuration: config, tracing: true)
        let eager = try MetaTrainer<Float>(configuration: config, tracing: false)
        var a = traced.initialState(), b = eager.initialState()
        for _ in 0..<6 {
            a = traced.step(a).0
            b = eager.step(b).0
        }
        #expect(traced.tracedShards?.compiledCount == 1)   // replayed from the third iteration on
        #expect(a.parameters == b.parameters)
        #expect(a.optimizer == b.optimizer)
    }
}
