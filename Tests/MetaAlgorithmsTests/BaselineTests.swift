import Foundation
import Testing
import MetaTensor
import MetaRandom
import MetaAutodiff
import MetaNN
import MetaTasks
import MetaAlgorithms
import MetaTestKit

/// The whole-class pretraining baseline (Chen et al. 2019): its pretraining step, the fresh
/// head fit at evaluation, and its meta-batches through the trainer.
@Suite struct BaselineTests {
    /// A small network over 12×12 images with an 8-class head.
    static let model = ConvNet(inChannels: 1, imageSize: 12, filters: 8, ways: 8, downsampling: .strided, pooling: .spatialMean)

    /// 8 global classes of 12×12 synthetic images (fixed prototypes, 10 noisy examples each),
    /// labelled 0..<8 in every batch: what the pretraining sees, without a data set.
    static func globalClasses<S: TensorScalar>(as: S.Type = S.self) -> (inputs: Tensor<S>, labels: [Int]) {
        let task: Task<S> = SyntheticImageTasks(ways: 8, shots: 10, queries: 1, size: 12).task(seed: 4, iteration: 0, index: 0, split: .train)
        guard case let .classification(labels) = task.supportTargets else { fatalError("classification") }
        return (task.supportInputs, labels)
    }

    /// The batch of `indices` of the global set as a task (support and query the same batch).
    static func batch<S: TensorScalar>(_ indices: [Int], of data: (inputs: Tensor<S>, labels: [Int])) -> Task<S> {
        let x = Tensor.concatenate(indices.map { data.inputs.slice(axis: 0, start: $0, length: 1) }, axis: 0)
        let y = Targets<S>.classification(indices.map { data.labels[$0] })
        return Task(supportInputs: x, supportTargets: y, queryInputs: x, queryTargets: y)
    }

    @Test func pretrainingReducesTheWholeClassLossOnSyntheticImages() {
        let data = Self.globalClasses(as: Float.self)
        let all = Self.batch(Array(0..<data.labels.count), of: data)
        let learner = BaselineLearner()
        let inner = InnerLoop(steps: 0, learningRate: 0)
        var parameters = learner.initialParameters(model: Self.model, seed: 1, as: Float.self)
        let optimizer = OuterOptimizer.adam(learningRate: 0.01)
        var state = optimizer.initialState(for: parameters)
        let before = learner.taskStep(model: Self.model, parameters: parameters, task: all, inner: inner).loss
        for step in 0..<60 {
            var stream = RandomStream(seed: 5, iteration: UInt64(step), purpose: .testing)
            let indices = stream.sample(16, from: data.labels.count)
            let result = learner.taskStep(model: Self.model, parameters: parameters, task: Self.batch(indices, of: data), inner: inner)
            (parameters, state) = optimizer.update(parameters, gradients: result.metaGradient, state: state)
        }
        let after = learner.taskStep(model: Self.model, parameters: parameters, task: all, inner: inner)
        #expect(after.loss < 0.5 * before, "cross-entropy over the 80 images: \(before) → \(after.loss)")
        #expect(after.metric > 0.8, "accuracy over the 80 images: \(after.metric)")
    }

    /// The step's gradient against central differences of its own loss, on 24 coordinates
    /// spread over every parameter tensor (Double).
    @Test func thePretrainingGradientMatchesFiniteDifferences() {
        let data = Self.globalClasses(as: Double.self)
        let task = Self.batch([0, 11, 22, 33, 44, 55, 66, 77, 5, 16], of: data)
        let parameters = BaselineLearner().initialParameters(model: Self.model, seed: 2, as: Double.self)
        let analytic = Baseline.taskStep(model: Self.model, parameters: parameters, task: task).metaGradient
        let epsilon = 1e-6
        var numeric: [Double] = [], computed: [Double] = []
        for (t, name) in parameters.names.enumerated() {
            let count = parameters.values[t].count
            for k in Set([0, count / 2, count - 1]) {
                func loss(_ shift: Double) -> Double {
                    var scalars = parameters.values[t].scalars
                    scalars[k] += shift
                    var moved = parameters
                    moved[name] = Tensor(shape: parameters.values[t].shape, scalars: scalars)
                    return Baseline.taskStep(model: Self.model, parameters: moved, task: task).loss
                }
                numeric.append((loss(epsilon) - loss(-epsilon)) / (2 * epsilon))
                computed.append(analytic.values[t].scalars[k])
            }
        }
        #expect(numeric.contains { abs($0) > 1e-4 }, "some coordinates must matter")
        #expect(GradientCheck.relativeError(computed, numeric) < 1e-5, "\(computed) vs \(numeric)")
    }

    /// One full-batch step of plain SGD at rate 1 moves the head by minus the gradient of the
    /// mean cross-entropy of `x Wᵀ + b`, computed here by central differences in plain Double.
    @Test func theHeadFitStepsAlongTheFiniteDifferenceGradientOfItsLoss() {
        let features = Tensor<Double>(shape: [4, 3], scalars: [0.5, -1, 2, 1.5, 0.2, -0.3, -0.7, 0.9, 0.1, 0.3, 0.3, -1.2])
        let labels = [0, 2, 1, 2]
        var plain = Baseline.HeadFit()
        plain.learningRate = 1; plain.momentum = 0; plain.dampening = 0; plain.weightDecay = 0; plain.batchSize = 4
        plain.epochs = 0
        let start: Parameters<Tensor<Double>> = Baseline.fitHead(features: features, labels: labels, ways: 3, key: 9, settings: plain)
        plain.epochs = 1
        let stepped: Parameters<Tensor<Double>> = Baseline.fitHead(features: features, labels: labels, ways: 3, key: 9, settings: plain)
        func loss(_ w: [Double], _ b: [Double]) -> Double {
            (0..<4).map { i -> Double in
                let logits = (0..<3).map { c in b[c] + (0..<3).reduce(0) { $0 + w[c * 3 + $1] * features.scalars[i * 3 + $1] } }
                let top = logits.max()!
                return -(logits[labels[i]] - top - Foundation.log(logits.reduce(0) { $0 + Foundation.exp($1 - top) }))
            }.reduce(0, +) / 4
        }
        let w = start["head.weight"].scalars, b = start["head.bias"].scalars
        let e = 1e-6
        var numeric: [Double] = []
        for k in w.indices {
            var up = w, down = w
            up[k] += e; down[k] -= e
            numeric.append((loss(up, b) - loss(down, b)) / (2 * e))
        }
        for k in b.indices {
            var up = b, down = b
            up[k] += e; down[k] -= e
            numeric.append((loss(w, up) - loss(w, down)) / (2 * e))
        }
        let moved = zip(w + b, stepped["head.weight"].scalars + stepped["head.bias"].scalars).map { $0 - $1 }
        #expect(GradientCheck.relativeError(moved, numeric) < 1e-6, "\(moved) vs \(numeric)")
    }

    /// Five classes whose features are far apart (a class's direction, scaled, plus noise).
    static func separable(shots: Int, seed: UInt64) -> (Tensor<Double>, [Int]) {
        var stream = RandomStream(seed: seed, purpose: .testing)
        let d = 8, ways = 5
        var scalars: [Double] = []
        var labels: [Int] = []
        for c in 0..<ways {
            for _ in 0..<shots {
                scalars += (0..<d).map { ($0 == c ? 4 : 0) + 0.3 * (stream.nextUnit() - 0.5) }
                labels.append(c)
            }
        }
        return (Tensor(shape: [ways * shots, d], scalars: scalars), labels)
    }

    @Test(arguments: [1, 5])
    func theFreshHeadClassifiesSeparableFeatures(shots: Int) {
        let (support, labels) = Self.separable(shots: shots, seed: 1)
        let (query, truth) = Self.separable(shots: 10, seed: 2)
        let head: Parameters<Tensor<Double>> = Baseline.fitHead(features: support, labels: labels, ways: 5, key: 3)
        let logits = Dense("head", inputs: 8, outputs: 5).apply(head.map { Variable($0) }, Variable(query)).value
        #expect(Losses.accuracy(logits: logits, labels: truth) >= 0.98)
    }

    @Test func theFreshHeadLeavesEveryEncoderParameterBitUnchanged() {
        let parameters = BaselineLearner().initialParameters(model: Self.model, seed: 3, as: Float.self)
        let task: Task<Float> = SyntheticImageTasks(ways: 5, shots: 2, queries: 3, size: 12).task(seed: 1, iteration: 0, index: 2, split: .test)
        let input = AdaptationInput(task)
        let adapted = Baseline.adapted(model: Self.model, parameters: parameters, input: input)
        #expect(adapted.names == parameters.names)
        for name in parameters.names where !Self.model.headParameterNames.contains(name) {
            #expect(ParameterCoding.encode(Parameters([(name, adapted[name])])) == ParameterCoding.encode(Parameters([(name, parameters[name])])),
                    "\(name) changed")
        }
        #expect(adapted["head.weight"].shape == [5, 8] && adapted["head.bias"].shape == [5], "a fresh 5-way head")
        // The same task gives the same head (keyed by its content), and the learner scores its queries with it.
        #expect(Baseline.adapted(model: Self.model, parameters: parameters, input: input)["head.weight"] == adapted["head.weight"])
        let outputs = BaselineLearner().queryOutputs(model: Self.model, parameters: parameters, input: input,
                                                     inner: InnerLoop(steps: 0, learningRate: 0), steps: 0)
        #expect(outputs.count == 1 && outputs[0].shape == [15, 5])
    }

    /// A meta-batch of 8 tasks in one shard (no workers) and in two shards of whole reduction
    /// blocks (two workers, as the coordinator reduces them) gives the same parameters, bit for bit.
    @Test func aMetaBatchSplitAcrossWorkersGivesTheSameBits() throws {
        let c = RunConfiguration(name: "test-baseline", source: "test", algorithm: .baseline,
                                 family: .syntheticImages(ways: 4, shots: 2, queries: 1, size: 12),
                                 architecture: .maxPoolCNN(filters: 8, ways: 4, side: 12), inner: InnerLoop(steps: 0, learningRate: 0),
                                 metaBatchSize: 8, outerOptimizer: .adam(learningRate: 0.001), iterations: 2)
        let trainer = try MetaTrainer<Float>(configuration: c)
        let state = trainer.initialState()
        let (whole, _) = trainer.step(state)
        let request = WorkRequest.metaGradient(items: 8)
        let shards = [Array(0..<4), Array(4..<8)].map {
            trainer.workResult(request, iteration: state.iteration, items: $0, parameters: state.parameters)
        }
        let (split, _) = trainer.apply(blockSums: shards.flatMap(\.blockSums), losses: shards.flatMap(\.losses),
                                       metrics: shards.flatMap(\.metrics), to: state)
        #expect(ParameterCoding.encode(split.parameters) == ParameterCoding.encode(whole.parameters))
        #expect(ParameterCoding.encode(whole.parameters) != ParameterCoding.encode(state.parameters))
    }

    @Test func epochBatchesCoverTheSupportSetOncePerEpochInBatchesOfFour() {
        let batches = Baseline.epochBatches(count: 10, size: 4, epochs: 3, key: 7)
        #expect(batches.map(\.count) == [4, 4, 2, 4, 4, 2, 4, 4, 2])
        for epoch in 0..<3 { #expect(batches[(3 * epoch)..<(3 * epoch + 3)].flatMap { $0 }.sorted() == Array(0..<10)) }
        #expect(batches[0..<3].flatMap { $0 } != batches[3..<6].flatMap { $0 }, "each epoch reshuffles")
        #expect(Baseline.epochBatches(count: 10, size: 4, epochs: 3, key: 7) == batches)
    }
}
