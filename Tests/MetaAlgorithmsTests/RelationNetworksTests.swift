import Testing
import MetaTensor
import MetaAutodiff
import MetaRandom
import MetaNN
import MetaOptim
import MetaTasks
import MetaAlgorithms
import MetaTestKit

/// Relation Networks' per-task step: its gradient to second order, the K-shot sum rule, and
/// learning on synthetic image tasks.
@Suite struct RelationNetworksTests {
    /// 16×16 inputs, 2 filters, hidden 3: finite differences over all 283 parameters are cheap.
    static let tiny = RelationNetworks(model: RelationNetworkModel(inChannels: 1, imageSize: 16, filters: 2, hidden: 3))

    static func perturbedParameters(_ learner: RelationNetworks, seed: UInt64) -> Parameters<Tensor<Double>> {
        var stream = RandomStream(seed: seed, purpose: .testing)
        return learner.initialParameters(seed: seed, as: Double.self).map { $0 + stream.uniformTensor($0.shape, low: -0.3, high: 0.3) }
    }

    /// A task of continuous random images (no ties for max-pooling), support labels out of order.
    static func randomTask(ways: Int, shots: Int, queries: Int, seed: UInt64) -> Task<Double> {
        var stream = RandomStream(seed: seed, purpose: .testing)
        var supportLabels = (0..<ways * shots).map { $0 % ways }
        stream.shuffle(&supportLabels)
        return Task(supportInputs: stream.uniformTensor([ways * shots, 1, 16, 16]), supportTargets: .classification(supportLabels),
                    queryInputs: stream.uniformTensor([ways * queries, 1, 16, 16]),
                    queryTargets: .classification((0..<ways * queries).map { $0 / queries }))
    }

    /// The query loss as a function of the parameters' values.
    static func queryLoss(_ learner: RelationNetworks, layout: ParameterLayout, task: Task<Double>) -> GradientCheck.Function {
        guard case let .classification(labels) = task.queryTargets else { fatalError("classification task expected") }
        return { v in
            RelationNetworks.loss(scores: learner.scores(parameters: Parameters(layout: layout, values: v), task: task), labels: labels)
        }
    }

    @Test func classSumsHaveCorrectFirstAndSecondDerivatives() {
        var stream = RandomStream(seed: 1, purpose: .testing)
        let features: Tensor<Double> = stream.uniformTensor([5, 2, 2, 2], low: -1, high: 1)
        let c: Tensor<Double> = stream.uniformTensor([3, 2, 2, 2], low: -1, high: 1), d: Tensor<Double> = stream.uniformTensor([3, 2, 2, 2])
        // Linear in the features, so the square term is what gives it a non-zero Hessian.
        let f: GradientCheck.Function = { v in
            let s = RelationNetworks.classSums(v[0], labels: [2, 0, 1, 0, 2], ways: 3)
            return (Variable(c) * s).sum() + (Variable(d) * s.squared()).sum() * 0.5
        }
        let direction: Tensor<Double> = stream.uniformTensor(features.shape, low: -1, high: 1)
        #expect(GradientCheck.firstOrderError(of: f, at: [features]) < 1e-6)
        #expect(GradientCheck.secondOrderError(of: f, at: [features], direction: [direction]) < 1e-5)
    }

    /// 3-way 2-shot, 2 queries per class: every parameter of f and g, through the class sums,
    /// the pairs and the MSE against one-hot targets.
    @Test func queryLossHasCorrectFirstAndSecondDerivatives() {
        let learner = Self.tiny
        let p = Self.perturbedParameters(learner, seed: 2)
        let f = Self.queryLoss(learner, layout: p.layout, task: Self.randomTask(ways: 3, shots: 2, queries: 2, seed: 3))
        var stream = RandomStream(seed: 4, purpose: .testing)
        let direction = p.values.map { t -> Tensor<Double> in stream.uniformTensor(t.shape, low: -1, high: 1) }
        let first = GradientCheck.firstOrderError(of: f, at: p.values)
        let second = GradientCheck.secondOrderError(of: f, at: p.values, direction: direction)
        #expect(first < 1e-6, "first-order relative error \(first)")
        #expect(second < 1e-5, "second-order relative error \(second)")
    }

    @Test func taskStepReturnsTheQueryLossItsGradientAndTheArgmaxAccuracy() {
        let learner = Self.tiny
        let p = Self.perturbedParameters(learner, seed: 7)
        let task = Self.randomTask(ways: 3, shots: 2, queries: 2, seed: 6)
        let f = Self.queryLoss(learner, layout: p.layout, task: task)
        let (loss, gradient) = valueWithGradient(at: p.values, of: f)
        let result = learner.taskStep(parameters: p, task: task)
        #expect(result.loss == loss.scalar)
        #expect(result.metaGradient.values == gradient.map(\.value))
        #expect(result.metaGradient.names == p.names)
        let scores = learner.scores(parameters: p.map { Variable($0) }, task: task).value
        #expect(Set(scores.scalars).count == scores.count, "scores \(scores.scalars)")
        #expect(result.metric == Losses.accuracy(logits: scores, labels: [0, 0, 1, 1, 2, 2]))
        #expect(learner.evaluate(parameters: p, task: task) == [result.metric])
    }

    /// The paper's K-shot rule: a class is represented by the element-wise sum of its support
    /// maps (not their mean), so two shots a, b score exactly as one shot a + b.
    @Test func kShotClassMapIsTheSumOfItsSupportMaps() {
        let learner = Self.tiny
        let p = Self.perturbedParameters(learner, seed: 7).map { Variable($0) }
        var stream = RandomStream(seed: 8, purpose: .testing)
        let shots: Tensor<Double> = stream.uniformTensor([4, 2, 4, 4], low: 0, high: 2)   // labels 0, 1, 0, 1
        let queries = Variable<Double>(stream.uniformTensor([3, 2, 4, 4], low: 0, high: 2))
        let summed = shots.slice(axis: 0, start: 0, length: 2) + shots.slice(axis: 0, start: 2, length: 2)
        let twoShot = learner.scores(parameters: p, supportFeatures: Variable(shots), labels: [0, 1, 0, 1], queryFeatures: queries)
        let oneShot = learner.scores(parameters: p, supportFeatures: Variable(summed), labels: [0, 1], queryFeatures: queries)
        #expect(twoShot.value.scalars == oneShot.value.scalars)
    }

    /// Within-class order does not matter. Bit for bit once the support is embedded; through
    /// the embedding only to rounding, because batch norm's batch mean is a sum whose order
    /// follows the support's.
    @Test func permutingSupportExamplesWithinAClassLeavesTheScoresUnchanged() {
        let learner = Self.tiny
        let p = Self.perturbedParameters(learner, seed: 7)
        let v = p.map { Variable($0) }
        let task = Self.randomTask(ways: 3, shots: 2, queries: 2, seed: 10)
        guard case let .classification(labels) = task.supportTargets else { return }
        // Swap the two examples of class 1.
        let pair = labels.indices.filter { labels[$0] == 1 }
        var order = Array(labels.indices); order.swapAt(pair[0], pair[1])
        let permuted = Task(supportInputs: Tensor.concatenate(order.map { task.supportInputs.slice(axis: 0, start: $0, length: 1) }, axis: 0),
                            supportTargets: .classification(order.map { labels[$0] }),
                            queryInputs: task.queryInputs, queryTargets: task.queryTargets)

        let features = learner.model.embed(v, Variable(task.supportInputs)).value
        let queries = learner.model.embed(v, Variable(task.queryInputs))
        let permutedFeatures = Tensor.concatenate(order.map { features.slice(axis: 0, start: $0, length: 1) }, axis: 0)
        let a = learner.scores(parameters: v, supportFeatures: Variable(features), labels: labels, queryFeatures: queries)
        let b = learner.scores(parameters: v, supportFeatures: Variable(permutedFeatures), labels: order.map { labels[$0] },
                               queryFeatures: queries)
        // Not vacuous: the scores differ between pairs (no dead relation module).
        #expect(Set(a.value.scalars).count == a.value.count, "scores \(a.value.scalars)")
        #expect(a.value.scalars == b.value.scalars)

        let whole = learner.scores(parameters: v, task: task).value, wholePermuted = learner.scores(parameters: v, task: permuted).value
        #expect(Approximate.relativeError(wholePermuted, whole) < 1e-13)
    }

    @Test func omniglotScoresEveryQueryAgainstEveryClassInTheOpenUnitInterval() {
        let learner = RelationNetworks(model: .omniglot())
        let task: Task<Float> = SyntheticImageTasks(ways: 5, shots: 1, queries: 2).task(seed: 1, iteration: 0, index: 0, split: .train)
        let scores = learner.scores(parameters: learner.initialParameters(seed: 1, as: Float.self).map { Variable($0) }, task: task).value
        #expect(scores.shape == [10, 5])
        #expect(scores.scalars.allSatisfy { $0 > 0 && $0 < 1 })
    }

    /// Mean query accuracy over a fixed set of validation tasks.
    static func accuracy(_ learner: RelationNetworks, _ p: Parameters<Tensor<Float>>, family: SyntheticImageTasks, tasks: Int) -> Double {
        (0..<tasks).map { i in
            learner.evaluate(parameters: p, task: family.task(seed: 99, iteration: 0, index: UInt32(i), split: .validation, as: Float.self))[0]
        }.reduce(0, +) / Double(tasks)
    }

    /// 5-way 1-shot on 16×16 synthetic images (32 filters to keep it quick), one task per
    /// Adam(1e-3) step, as in the paper's episodic training.
    @Test func adamStepsOnSyntheticImagesRaiseQueryAccuracyWellAboveChance() {
        let learner = RelationNetworks(model: RelationNetworkModel(inChannels: 1, imageSize: 16, filters: 32, hidden: 8))
        let family = SyntheticImageTasks(ways: 5, shots: 1, queries: 3, size: 16)
        var p = learner.initialParameters(seed: 0, as: Float.self)
        let adam = Adam<Float>(learningRate: 1e-3)
        var state = adam.initialState(for: p)
        let before = Self.accuracy(learner, p, family: family, tasks: 50)
        for i in 0..<300 {
            let result = learner.taskStep(parameters: p, task: family.task(seed: 0, iteration: UInt64(i), index: 0, split: .train, as: Float.self))
            (p, state) = adam.update(p, gradients: result.metaGradient, state: state)
        }
        let after = Self.accuracy(learner, p, family: family, tasks: 50)
        print("relation network, 5-way 1-shot synthetic: query accuracy \(before) → \(after)")
        #expect(before < 0.4 && after > 0.6, "accuracy \(before) → \(after)")
    }
}
