import Testing
import MetaTensor
import MetaAutodiff
import MetaNN
import MetaRandom
import MetaTasks
import MetaAlgorithms
import MetaTestKit

/// Batch norm with running statistics (`inner.batch_norm: running-statistics`): the scored
/// queries are normalised with the running statistics (differentiable like the rest), each
/// example on its own; the trainer folds the tasks' query statistics into them.
@Suite struct RunningStatisticsTests {
    /// Two strided blocks with running statistics moved off their initial 0 and 1, and γ, β off 1 and 0.
    static let model = ConvNet(inChannels: 1, imageSize: 6, filters: 3, ways: 3, downsampling: .strided,
                               pooling: .spatialMean, blocks: 2, batchNormMode: .runningStatistics)

    static func parameters() -> Parameters<Tensor<Double>> {
        var p = model.initialParameters(seed: 5, as: Double.self)
        var s = RandomStream(seed: 9, purpose: .testing)
        for name in p.names where name.hasSuffix(".scale") || name.hasSuffix(".offset") || name.hasSuffix(".running_mean")
            || name.hasSuffix(".bias") {
            p[name] = p[name] + s.uniformTensor(p[name].shape, low: -0.3, high: 0.3)
        }
        for name in p.names where name.hasSuffix(".running_var") {
            p[name] = s.uniformTensor(p[name].shape, low: 0.5, high: 2)
        }
        return p
    }

    static let task = MAMLMetaGradientTests.randomClassificationTask(ways: 3, channels: 1, size: 6, seed: 11)

    /// The differentiable entries (every parameter but the running statistics, which are constants).
    static func split(_ p: Parameters<Tensor<Double>>) -> (names: [String], values: [Tensor<Double>]) {
        let names = p.names.filter { !model.runningStatisticNames.contains($0) }
        return (names, names.map { p[$0] })
    }

    /// The parameters as variables: `values` for the differentiable names, constants for the rest.
    static func variables(_ base: Parameters<Tensor<Double>>, _ names: [String], _ values: [Variable<Double>]) -> Parameters<Variable<Double>> {
        var p = base.map { Variable($0) }
        for (n, v) in zip(names, values) { p[n] = v }
        return p
    }

    @Test func runningStatisticsAreParametersOfTheModelInThatModeOnly() {
        #expect(Self.model.runningStatisticNames == ["block1.norm.running_mean", "block1.norm.running_var",
                                                     "block2.norm.running_mean", "block2.norm.running_var"])
        #expect(Self.model.runningStatisticNames.allSatisfy { Self.model.initialParameters(seed: 1, as: Double.self).contains($0) })
        let transductive = Self.model.withBatchNorm(.batchStatistics)
        #expect(transductive.runningStatisticNames.isEmpty)
        #expect(!transductive.initialParameters(seed: 1, as: Double.self).names.contains { $0.hasSuffix("running_mean") })
    }

    @Test func predictionWithRunningStatisticsHasTheFiniteDifferenceGradient() {
        let base = Self.parameters()
        let (names, values) = Self.split(base)
        let loss: GradientCheck.Function = { v in
            TaskLoss.loss(Self.model.predict(Self.variables(base, names, v), Variable(Self.task.queryInputs)), Self.task.queryTargets)
        }
        #expect(GradientCheck.firstOrderError(of: loss, at: values) < 1e-6)
        var s = RandomStream(seed: 21, purpose: .testing)
        let direction: [Tensor<Double>] = values.map { s.normalTensor($0.shape) }
        #expect(GradientCheck.secondOrderError(of: loss, at: values, direction: direction) < 1e-5)
    }

    /// The query loss after one inner step, L_query(predict(θ − α∇L_support(θ))), and its
    /// gradient with respect to the differentiable entries: the support step normalises with
    /// the support's statistics, the query with the running ones (constants).
    static func adaptedQueryLoss(_ p: Parameters<Tensor<Double>>, names: [String]) -> (loss: Double, gradient: [Double]) {
        let leaves = variables(p, names, names.map { Variable(differentiable: p[$0]) })
        let adapted = InnerUpdate.adapt(model: model, parameters: leaves, inputs: task.supportInputs, targets: task.supportTargets,
                                        steps: 1, learningRate: 0.3, createGraph: true)
        let loss = TaskLoss.loss(model.predict(adapted, Variable(task.queryInputs)), task.queryTargets)
        let g = gradients(of: loss, withRespectTo: names.map { leaves[$0] })
        return (loss.scalar, g.flatMap(\.value.scalars))
    }

    @Test func queryLossAfterAnInnerStepHasTheFiniteDifferenceSecondOrderGradient() {
        let base = Self.parameters()
        let names = Self.split(base).names
        let analytic = Self.adaptedQueryLoss(base, names: names).gradient
        var numeric: [Double] = []
        let epsilon = 1e-6
        for name in names {
            for i in 0..<base[name].count {
                func loss(_ delta: Double) -> Double {
                    var shifted = base
                    shifted[name].withUnsafeMutableBufferPointer { $0[i] += delta }
                    return Self.adaptedQueryLoss(shifted, names: names).loss
                }
                numeric.append((loss(epsilon) - loss(-epsilon)) / (2 * epsilon))
            }
        }
        #expect(GradientCheck.relativeError(analytic, numeric) < 1e-5)
    }

    /// The evaluation's query outputs for the first two queries, with the third query replaced.
    static func firstQueries(_ model: ConvNet, _ p: Parameters<Tensor<Double>>, replacingThird: Bool) -> [Double] {
        var queries = task.queryInputs
        if replacingThird {
            var s = RandomStream(seed: 31, purpose: .testing)
            let other: Tensor<Double> = s.uniformTensor([1, 1, 6, 6])
            queries = Tensor.concatenate([queries.slice(axis: 0, start: 0, length: 2), other], axis: 0)
        }
        let input = AdaptationInput(supportInputs: task.supportInputs, supportTargets: task.supportTargets, queryInputs: queries)
        let outputs = MAMLLearner().queryOutputs(model: model, parameters: p, input: input, inner: InnerLoop(steps: 1, learningRate: 0.3),
                                                 steps: 1)
        return outputs.last!.slice(axis: 0, start: 0, length: 2).scalars
    }

    @Test func aQueryPredictionIgnoresTheOtherQueriesWithRunningStatisticsOnly() {
        let p = Self.parameters()
        let alone = Self.firstQueries(Self.model, p, replacingThird: false)
        let withOther = Self.firstQueries(Self.model, p, replacingThird: true)
        #expect(GradientCheck.relativeError(withOther, alone) < 1e-12)

        let transductive = Self.model.withBatchNorm(.batchStatistics)
        let q = Parameters(p.names.filter { !Self.model.runningStatisticNames.contains($0) }.map { ($0, p[$0]) })
        let transductiveAlone = Self.firstQueries(transductive, q, replacingThird: false)
        let transductiveWithOther = Self.firstQueries(transductive, q, replacingThird: true)
        #expect(GradientCheck.relativeError(transductiveWithOther, transductiveAlone) > 1e-3)
    }

    @Test func batchStatisticsAreTheOnesTrainingNormalisesWith() {
        let p = Self.parameters()
        let statistics = Self.model.batchStatistics(p, Self.task.queryInputs)
        // With the running statistics set to the batch's, prediction is the training forward pass.
        var q = p
        for (name, value) in zip(Self.model.runningStatisticNames, statistics) { q[name] = value }
        let constants = q.map { Variable($0) }
        let training = Self.model.apply(constants, Variable(Self.task.queryInputs)).value.scalars
        let predicted = Self.model.predict(constants, Variable(Self.task.queryInputs)).value.scalars
        #expect(GradientCheck.relativeError(predicted, training) < 1e-12)
        #expect(GradientCheck.relativeError(Self.model.predict(p.map { Variable($0) }, Variable(Self.task.queryInputs)).value.scalars,
                                            training) > 1e-3)
    }

    /// A small CNN on synthetic 28×28 images, MAML with running statistics.
    static func configuration() -> RunConfiguration {
        var c = RunConfiguration.presets["sine-maml"]!
        c.family = .syntheticImages(ways: 5, shots: 1, queries: 2, size: 28)
        c.architecture = .convEncoder(blocks: 3, filters: 8, ways: 5)
        c.inner = InnerLoop(steps: 1, evaluationSteps: 1, learningRate: 0.4)
        c.batchNorm = .runningStatistics
        c.metaBatchSize = 4
        c.outerOptimizer = .adam(learningRate: 0.005)
        return c
    }

    @Test func theTrainerFoldsTheMeanQueryStatisticsWithMomentumAndStepsTheRest() throws {
        let trainer = try MetaTrainer<Double>(configuration: Self.configuration())
        let state = trainer.initialState()
        let names = trainer.model.runningStatisticNames
        #expect(names.count == 6)
        let (next, _) = trainer.step(state)
        for (k, name) in names.enumerated() {
            // The mean over the meta-batch of each task's query statistics under its adapted parameters.
            var sum = Tensor<Double>(zeros: state.parameters[name].shape)
            for i in 0..<4 {
                let task = trainer.task(iteration: 0, index: i)
                let adapted = InnerUpdate.adapt(model: trainer.model, parameters: state.parameters.map { Variable(differentiable: $0) },
                                                inputs: task.supportInputs, targets: task.supportTargets, steps: 1,
                                                learningRate: 0.4, createGraph: false).map(\.value)
                sum = sum + trainer.model.batchStatistics(adapted, task.queryInputs)[k]
            }
            let expected = state.parameters[name] * 0.9 + sum * (0.1 / 4)
            #expect(GradientCheck.relativeError(next.parameters[name].scalars, expected.scalars) < 1e-12, "\(name)")
        }
        #expect(next.parameters["block1.conv.weight"] != state.parameters["block1.conv.weight"])
    }

    @Test func metaTrainingWithRunningStatisticsLowersTheMetaLossAndEvaluatesWithThem() throws {
        let c = Self.configuration()
        let (before, after) = try AlgorithmLearningTests.lossBeforeAndAfter(c, iterations: 60, tasks: 20)
        #expect(after < 0.8 * before, "\(before) → \(after)")

        let trainer = try MetaTrainer<Float>(configuration: c)
        var state = trainer.initialState()
        for _ in 0..<60 { state = trainer.step(state).0 }
        let trained = trainer.evaluate(state.parameters, split: .validation, tasks: 40).steps.map(\.mean)
        var reset = state.parameters
        for name in trainer.model.runningStatisticNames {
            let shape = reset[name].shape
            reset[name] = name.hasSuffix("var") ? Tensor(repeating: 1, shape: shape) : Tensor(zeros: shape)
        }
        let untracked = trainer.evaluate(reset, split: .validation, tasks: 40).steps.map(\.mean)
        #expect(trained.last! > 0.3, "accuracy \(trained)")
        #expect(trained != untracked)
    }
}
