import Testing
import MetaTensor
import MetaAutodiff
import MetaNN
import MetaRandom
import MetaTasks
import MetaAlgorithms
import MetaTestKit

/// Each algorithm's defining property.
@Suite struct AlgorithmPropertyTests {
    static let model = SineMLP(hidden: [8, 8])
    static let task: Task<Double> = SinusoidTasks().task(seed: 12, iteration: 3, index: 1, split: .train)

    static func supportGradient(_ p: Parameters<Tensor<Double>>) -> Parameters<Tensor<Double>> {
        let g = valueWithGradient(at: p.values) { v in
            TaskLoss.loss(model.apply(Parameters(layout: p.layout, values: v), Variable(task.supportInputs)), task.supportTargets)
        }.gradient
        return Parameters(layout: p.layout, values: g.map { $0.value })
    }

    @Test func reptileWithOneStepMovesTheInitialisationAlongTheSupportGradient() {
        let p = Self.model.initialParameters(seed: 1, as: Double.self)
        let alpha = 0.02
        let reptile = Reptile.taskStep(model: Self.model, parameters: p, task: Self.task, inner: InnerLoop(steps: 1, learningRate: alpha))
        let expected = Self.supportGradient(p).map { $0 * alpha }
        for (a, b) in zip(reptile.metaGradient.values, expected.values) { #expect(Approximate.relativeError(a, b) < 1e-12) }
    }

    @Test func metaSGDWithEqualFixedRatesGivesMAMLsMetaGradient() {
        let alpha = 0.03
        let base = Self.model.initialParameters(seed: 2, as: Double.self)
        let rates = base.mapWithNames { name, t in ("lr." + name, Tensor<Double>(repeating: alpha, shape: t.shape)) }.values
        let p = Parameters(Array(zip(base.names, base.values)) + rates)
        let inner = InnerLoop(steps: 2, learningRate: alpha)
        let metaSGD = MetaSGD.taskStep(model: Self.model, parameters: p, task: Self.task, inner: inner)
        let maml = MAML.taskStep(model: Self.model, parameters: base, task: Self.task, inner: inner)
        for name in base.names {
            #expect(Approximate.relativeError(metaSGD.metaGradient[name], maml.metaGradient[name]) < 1e-12)
        }
        #expect(Swift.abs(metaSGD.loss - maml.loss) < 1e-12)
    }

    @Test func firstOrderMetaSGDKeepsTheGradientOfTheRates() {
        // One step, first order: ∂L_q/∂α = −∇L_s(θ) ⊙ ∇L_q(θ′).
        let base = Self.model.initialParameters(seed: 3, as: Double.self)
        var s = RandomStream(seed: 3, purpose: .testing)
        let rateValues = base.values.map { t -> Tensor<Double> in s.uniformTensor(t.shape, low: 0.005, high: 0.1) }
        let p = Parameters(Array(zip(base.names, base.values)) + zip(base.names.map { "lr." + $0 }, rateValues))
        let result = MetaSGD.taskStep(model: Self.model, parameters: p, task: Self.task,
                                      inner: InnerLoop(steps: 1, learningRate: 0, firstOrder: true))
        let gs = Self.supportGradient(base)
        let adapted = Parameters(layout: base.layout, values: zip(zip(base.values, rateValues), gs.values).map { $0.0 - $0.1 * $1 })
        let gq = valueWithGradient(at: adapted.values) { v in
            TaskLoss.loss(Self.model.apply(Parameters(layout: base.layout, values: v), Variable(Self.task.queryInputs)),
                          Self.task.queryTargets)
        }.gradient.map { $0.value }
        for (i, name) in base.names.enumerated() {
            let expected = -(gs.values[i] * gq[i])
            #expect(Approximate.relativeError(result.metaGradient["lr." + name], expected) < 1e-12)
            // and θ's first-order meta-gradient is the query gradient at θ′
            #expect(Approximate.relativeError(result.metaGradient[name], gq[i]) < 1e-12)
        }
    }

    @Test func anilAdaptsOnlyTheHeadAndItsMetaGradientMatchesFiniteDifferences() {
        let model = Self.model
        let p = model.initialParameters(seed: 4, as: Double.self)
        let adapted = InnerUpdate.adapt(model: model, parameters: p.map { Variable(differentiable: $0) },
                                        inputs: Self.task.supportInputs, targets: Self.task.supportTargets, steps: 2,
                                        learningRate: 0.05, createGraph: false, adapting: model.headParameterNames)
        for name in p.names {
            let moved = adapted[name].value != p[name]
            #expect(moved == model.headParameterNames.contains(name), "\(name)")
        }
        let inner = InnerLoop(steps: 2, learningRate: 0.05)
        let analytic = ANIL.taskStep(model: model, parameters: p, task: Self.task, inner: inner).metaGradient.values.flatMap { $0.scalars }
        var numeric: [Double] = []
        for k in 0..<p.count {
            for i in 0..<p.values[k].count {
                func loss(_ d: Double) -> Double {
                    var q = p; q.values[k].withUnsafeMutableBufferPointer { $0[i] += d }
                    return ANIL.taskStep(model: model, parameters: q, task: Self.task, inner: inner).loss
                }
                numeric.append((loss(1e-6) - loss(-1e-6)) / 2e-6)
            }
        }
        #expect(GradientCheck.relativeError(analytic, numeric) < 1e-6)
    }

    @Test func protoNetLogitsAreNegativeSquaredDistancesToClassMeans() {
        let model = ConvNet(inChannels: 1, imageSize: 8, filters: 4, ways: 3, downsampling: .strided, pooling: .spatialMean, blocks: 2)
        let p = model.initialParameters(seed: 5, as: Double.self)
        let task: Task<Double> = SyntheticImageTasks(ways: 3, shots: 2, queries: 2, size: 8).task(seed: 1, iteration: 0, index: 0, split: .train)
        let logits = PrototypicalNetworks.logits(model: model, parameters: p.map { Variable($0) }, task: task).value
        let support = model.features(p.map { Variable($0) }, Variable(task.supportInputs)).value
        let query = model.features(p.map { Variable($0) }, Variable(task.queryInputs)).value
        guard case let .classification(labels) = task.supportTargets else { Issue.record("not classification"); return }
        let d = support.shape[1]
        for q in 0..<query.shape[0] {
            for k in 0..<3 {
                let members = labels.indices.filter { labels[$0] == k }
                var distance = 0.0
                for j in 0..<d {
                    let mean = members.map { support[$0, j] }.reduce(0, +) / Double(members.count)
                    distance += (query[q, j] - mean) * (query[q, j] - mean)
                }
                #expect(Swift.abs(logits[q, k] + distance) < 1e-12 * Swift.max(1, distance))
            }
        }
    }

    @Test func pretrainingStepIsTheGradientOfTheJointLossAtTheInitialisation() {
        let p = Self.model.initialParameters(seed: 6, as: Double.self)
        let result = Pretraining.taskStep(model: Self.model, parameters: p, task: Self.task)
        guard case let .regression(ys) = Self.task.supportTargets, case let .regression(yq) = Self.task.queryTargets else { return }
        let x = Tensor.concatenate([Self.task.supportInputs, Self.task.queryInputs], axis: 0)
        let y = Tensor.concatenate([ys, yq], axis: 0)
        let expected = valueWithGradient(at: p.values) { v in
            Losses.meanSquaredError(Self.model.apply(Parameters(layout: p.layout, values: v), Variable(x)), Variable(y))
        }.gradient.map { $0.value }
        for (a, b) in zip(result.metaGradient.values, expected) { #expect(Approximate.relativeError(a, b) < 1e-12) }
    }
}
