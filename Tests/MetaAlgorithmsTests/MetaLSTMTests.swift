import Testing
import MetaTensor
import MetaAutodiff
import MetaNN
import MetaRandom
import MetaTasks
import MetaAlgorithms
import MetaTestKit

/// The meta-learner LSTM's defining properties and its meta-gradient.
@Suite struct MetaLSTMTests {
    static let sineTask: Task<Double> = SinusoidTasks().task(seed: 12, iteration: 3, index: 1, split: .train)

    /// The meta-learner's parameters with c_0 set to `model`'s parameters `theta`.
    static func withInitialisation<S>(_ metaLSTM: MetaLSTM, model: any Model, seed: UInt64,
                                      as: S.Type = S.self) -> (Parameters<Tensor<S>>, Parameters<Tensor<S>>) {
        let all: Parameters<Tensor<S>> = metaLSTM.initialParameters(model: model, seed: seed)
        let theta = Parameters(MetaLSTM.modelNames(all).map { ($0, all[$0]) })
        return (all, theta)
    }

    static func expectSGDBitForBit<S: TensorScalar>(model: any Model, task: Task<S>, alpha: Double, steps: Int,
                                                    as: S.Type = S.self) {
        let sgd = MetaLSTM(hidden: 4, gates: .fixed(inputGate: alpha, forgetGate: 1))
        let (all, theta) = withInitialisation(sgd, model: model, seed: 5, as: S.self)
        var trajectory: [Parameters<Variable<S>>] = []
        _ = sgd.adapt(model: model, parameters: all.map { Variable(differentiable: $0) }, inputs: task.supportInputs,
                      targets: task.supportTargets, steps: steps) { trajectory.append($0) }
        #expect(trajectory.count == steps)
        for k in 1...steps {
            let reference = InnerUpdate.adapt(model: model, parameters: theta.map { Variable(differentiable: $0) },
                                              inputs: task.supportInputs, targets: task.supportTargets, steps: k,
                                              learningRate: S(alpha), createGraph: false)
            for name in theta.names {
                #expect(trajectory[k - 1][name].value == reference[name].value, "step \(k), \(name)")
            }
        }
    }

    @Test func fixedGatesAlphaAndOneReproduceSGDBitForBitOnAnMLP() {
        Self.expectSGDBitForBit(model: SineMLP(hidden: [8, 8]), task: Self.sineTask, alpha: 0.03, steps: 5)
        let floatTask: Task<Float> = SinusoidTasks().task(seed: 4, iteration: 0, index: 2, split: .train)
        Self.expectSGDBitForBit(model: SineMLP(hidden: [16]), task: floatTask, alpha: 0.01, steps: 5)
    }

    @Test func fixedGatesAlphaAndOneReproduceSGDBitForBitOnAConvNetWithBatchNorm() {
        let model = ConvNet(inChannels: 1, imageSize: 8, filters: 4, ways: 3, downsampling: .strided, pooling: .spatialMean,
                            blocks: 2)
        let task: Task<Float> = SyntheticImageTasks(ways: 3, shots: 1, queries: 2, size: 8).task(seed: 1, iteration: 0,
                                                                                                  index: 0, split: .train)
        Self.expectSGDBitForBit(model: model, task: task, alpha: 0.4, steps: 4)
    }

    @Test func fixedGatesEvaluateLikeMAMLsEvaluation() {
        let model = SineMLP(hidden: [8, 8])
        let sgd = MetaLSTM(hidden: 4, gates: .fixed(inputGate: 0.02, forgetGate: 1))
        let (all, theta) = Self.withInitialisation(sgd, model: model, seed: 6, as: Double.self)
        let ours = sgd.evaluate(model: model, parameters: all, task: Self.sineTask, steps: 4)
        let maml = MAML.evaluate(model: model, parameters: theta, task: Self.sineTask, steps: 4, learningRate: 0.02)
        #expect(ours.count == 5)
        #expect(ours == maml)
        #expect(ours[4] < ours[0])
    }

    @Test func initialParametersHoldTheModelsInitialisationThenTheMetaLearner() {
        let model = SineMLP(hidden: [8, 8])
        let p: Parameters<Tensor<Float>> = MetaLSTM().initialParameters(model: model, seed: 9)
        let base: Parameters<Tensor<Float>> = model.initialParameters(seed: 9)
        #expect(Array(p.names.prefix(base.count)) == base.names)
        #expect(MetaLSTM.modelNames(p) == base.names)
        for name in base.names { #expect(p[name] == base[name]) }
        #expect(Array(p.names.dropFirst(base.count)) == [
            "metalstm.lstm.inputWeight", "metalstm.lstm.hiddenWeight", "metalstm.lstm.bias",
            "metalstm.cell.inputGateWeight", "metalstm.cell.inputGateBias",
            "metalstm.cell.forgetGateWeight", "metalstm.cell.forgetGateBias",
        ])
        #expect(p["metalstm.lstm.inputWeight"].shape == [80, 4])
        #expect(p["metalstm.cell.inputGateWeight"].shape == [1, 22])
        #expect(p["metalstm.lstm.bias"].scalars.allSatisfy { Swift.abs($0) <= 0.01 })
    }

    @Test func learnedGatesStartAsASmallStepAlongTheNegativeGradient() {
        // i ≈ σ(−4.5) ≈ 0.01 and f ≈ σ(4.5) ≈ 0.99 at the start: one update moves each
        // coordinate to about 0.99·c − 0.01·∇.
        let model = SineMLP(hidden: [8])
        let metaLSTM = MetaLSTM()
        let (all, _) = Self.withInitialisation(metaLSTM, model: model, seed: 2, as: Double.self)
        let run = metaLSTM.adapt(model: model, parameters: all.map { Variable($0) }, inputs: Self.sineTask.supportInputs,
                                 targets: Self.sineTask.supportTargets, steps: 1)
        for gate in run.state.inputGate.value.scalars { #expect(gate > 0.005 && gate < 0.02) }
        for gate in run.state.forgetGate.value.scalars { #expect(gate > 0.98 && gate < 0.995) }
    }

    /// The query loss as a function of every parameter, with the meta-learner's inputs (the
    /// support gradients and losses) replayed from `recorded`: the function whose gradient
    /// the gradient-independence assumption asks for.
    static func replayedQueryLoss(_ metaLSTM: MetaLSTM, model: any Model, layout: ParameterLayout,
                                  recorded: MetaLSTM.Adaptation<Double>, task: Task<Double>) -> GradientCheck.Function {
        { v in
            let p = Parameters(layout: layout, values: v)
            let names = MetaLSTM.modelNames(p)
            var state = metaLSTM.initialState(learner: Variable.concatenate(names.map { p[$0].reshaped([p[$0].count, 1]) }, axis: 0))
            for (g, l) in zip(recorded.gradients, recorded.losses) {
                state = metaLSTM.step(p, state: state, gradient: g, loss: l)
            }
            var offset = 0
            let learner = Parameters(names.map { name -> (String, Variable<Double>) in
                let shape = p[name].shape, n = p[name].count
                defer { offset += n }
                return (name, state.learner.slice(axis: 0, start: offset, length: n).reshaped(shape))
            })
            return TaskLoss.loss(model.apply(learner, Variable(task.queryInputs)), task.queryTargets)
        }
    }

    @Test func unrolledMetaGradientMatchesFiniteDifferencesWithTheLearnersGradientsHeldConstant() {
        let model = SineMLP(hidden: [3])
        let metaLSTM = MetaLSTM(hidden: 3)
        var all: Parameters<Tensor<Double>> = metaLSTM.initialParameters(model: model, seed: 21)
        // Gates away from their initial saturation, so the meta-learner's weights get
        // gradients of the same order as c_0's.
        var stream = RandomStream(seed: 22, purpose: .testing)
        all = all.mapWithNames { name, t in
            guard name.hasPrefix(MetaLSTM.prefix) else { return t }
            return name.hasSuffix("GateBias") ? Tensor(repeating: name.contains("input") ? -1 : 1, shape: t.shape)
                : stream.uniformTensor(t.shape, low: -0.5, high: 0.5)
        }
        let task = Self.sineTask
        let steps = 3
        let result = metaLSTM.taskStep(model: model, parameters: all, task: task, steps: steps)
        let recorded = metaLSTM.adapt(model: model, parameters: all.map { Variable($0) }, inputs: task.supportInputs,
                                      targets: task.supportTargets, steps: steps)
        let f = Self.replayedQueryLoss(metaLSTM, model: model, layout: all.layout, recorded: recorded, task: task)
        #expect(Swift.abs(f(all.values.map { Variable($0) }).scalar - result.loss) <= 1e-12 * result.loss)
        // The check needs the gradient to reach every group.
        for name in all.names { #expect(result.metaGradient[name].scalars.contains { $0 != 0 }, "\(name)") }
        let analytic = result.metaGradient.values.flatMap(\.scalars)
        let numeric = GradientCheck.gradient(of: f, at: all.values).flatMap(\.scalars)
        let fd = Self.centralDifferences(f, at: all.values)
        #expect(GradientCheck.relativeError(numeric, analytic) < 1e-12, "autodiff of the replay agrees with taskStep")
        #expect(GradientCheck.relativeError(analytic, fd) < 1e-6)
    }

    static func centralDifferences(_ f: GradientCheck.Function, at x: [Tensor<Double>], epsilon: Double = 1e-6) -> [Double] {
        var out: [Double] = []
        for (k, t) in x.enumerated() {
            for i in 0..<t.count {
                var plus = x, minus = x
                plus[k].withUnsafeMutableBufferPointer { $0[i] += epsilon }
                minus[k].withUnsafeMutableBufferPointer { $0[i] -= epsilon }
                out.append((f(plus.map { Variable($0) }).scalar - f(minus.map { Variable($0) }).scalar) / (2 * epsilon))
            }
        }
        return out
    }
}
