import MetaTensor
import MetaNN
import MetaTasks
import MetaAlgorithms

extension HeldOutExamples {
    /// Points of the grid a regression task's curves are drawn on.
    public static let gridPoints = 201
    /// The most support and query images shown per task (the first of each class, then the
    /// second, …), so that a 20-way task stays a picture.
    public static let imagesShown = 30

    /// The first `tasks` test tasks of the evaluation protocol and the predictions of the
    /// learner of `configuration` with `parameters` on them, after each evaluation step
    /// 0…`inner.evaluationSteps` (curves) or after the last one (images).
    ///
    /// The tasks are drawn exactly as the evaluation draws them (test split, the
    /// configuration's evaluation seed, iteration 0, indices 0…); a regression task is drawn
    /// again with its query set replaced by a grid over the family's input domain
    /// (``FunctionTaskFamily``), and its support set unchanged, so the adaptation is the one
    /// the evaluation does. Deterministic.
    /// - Returns: ``Content/unavailable(_:)`` with the reason for sequence learners, and for
    ///   tasks that are neither 1-D regression of a ``FunctionTaskFamily`` nor images.
    /// - Throws: the task family's one-line error when its data cannot be loaded.
    public static func predict(configuration c: RunConfiguration, parameters: Parameters<Tensor<Float>>, iteration: Int,
                               tasks: Int) throws -> HeldOutExamples {
        let learner = c.algorithm.learner
        let steps = c.inner.evaluationSteps
        func result(_ content: Content) -> HeldOutExamples {
            HeldOutExamples(learner: learner.id.rawValue, steps: steps, iteration: iteration, content: content)
        }
        let shape = (c.evaluationFamily ?? c.family).spec.shape
        guard shape == .supportQuery else {
            return result(.unavailable(shape == .environment
                ? "\(learner.id) acts in environments, not on support and query sets: its policies are not drawn here "
                    + "(the evaluation above scores them by their returns)."
                : "\(learner.id) learns from sequences of images, not support and query sets: "
                    + "its predictions are not drawn here (the evaluation above scores them by presentation)."))
        }
        let family = try RunConfiguration.makeTaskFamily(c.evaluationFamily ?? c.family)
        let model = c.model
        let draw = { (index: Int) -> Task<Float> in
            family.task(seed: c.evaluationSeed, iteration: 0, index: UInt32(index), split: .test, as: Float.self)
        }
        func outputs(_ task: Task<Float>) -> [Tensor<Float>]? {
            learner.queryOutputs(model: model, parameters: parameters, input: AdaptationInput(task), inner: c.inner, steps: steps)
        }
        let first = draw(0)
        switch first.queryTargets {
        case .regression:
            guard let function = family as? any FunctionTaskFamily, first.supportInputs.shape.dropFirst() == [1] else {
                return result(.unavailable("The tasks are not 1-D functions that can be drawn as curves."))
            }
            let domain = function.inputDomain
            let grid = (0..<gridPoints).map { domain.lowerBound + (domain.upperBound - domain.lowerBound) * Double($0) / Double(gridPoints - 1) }
            let gridTensor = Tensor<Float>(shape: [gridPoints, 1], scalars: grid.map { Float($0) })
            var drawn: [RegressionTask] = []
            for index in 0..<tasks {
                let task: Task<Float> = function.task(seed: c.evaluationSeed, iteration: 0, index: UInt32(index), split: .test,
                                                      queryInputs: gridTensor)
                guard case .regression(let truth) = task.queryTargets, case .regression(let supportY) = task.supportTargets,
                      let predictions = outputs(task) else {
                    return result(.unavailable("\(learner.id) gives no per-query predictions."))
                }
                let x = gridTensor.converted(to: Double.self).scalars
                var draws: [Curve] = [], interval: Interval?
                if let bayes = learner as? any PredictiveLearner {
                    // The draws behind the last prediction: the grid is the query set, so the
                    // noise streams are keyed by it (ABML.sampleKey), not by the task's own queries.
                    let (outputs, noise) = bayes.predictive(model: model, parameters: parameters, input: AdaptationInput(task),
                                                            inner: c.inner, steps: steps)
                    let samples = outputs.map { $0.converted(to: Double.self).scalars }
                    draws = samples.map { Curve(x: x, y: $0) }
                    let bands = x.indices.map { j in
                        PredictiveMixture(means: samples.map { $0[j] }, standardDeviation: noise[j],
                                          degreesOfFreedom: c.inner.noiseDegreesOfFreedom).centralInterval(0.95)
                    }
                    interval = Interval(x: x, lower: bands.map(\.lower), upper: bands.map(\.upper))
                }
                drawn.append(RegressionTask(
                    index: index, truth: Curve(x: x, y: truth.converted(to: Double.self).scalars),
                    support: Curve(x: task.supportInputs.converted(to: Double.self).scalars, y: supportY.converted(to: Double.self).scalars),
                    predictions: predictions.map { Curve(x: x, y: $0.converted(to: Double.self).scalars) },
                    draws: draws, interval: interval))
            }
            return result(.regression(drawn))
        case .classification:
            guard first.supportInputs.rank == 4 else {
                return result(.unavailable("The tasks' inputs are not images."))
            }
            var drawn: [ClassificationTask] = []
            for index in 0..<tasks {
                let task = index == 0 ? first : draw(index)
                guard case .classification(let supportLabels) = task.supportTargets,
                      case .classification(let queryLabels) = task.queryTargets,
                      let last = outputs(task)?.last else {
                    return result(.unavailable("\(learner.id) gives no per-query predictions."))
                }
                let predicted = Self.argmaxRows(last)
                let support = zip(Self.images(task.supportInputs), supportLabels).map { Example(image: $0, label: $1) }
                let queries = zip(zip(Self.images(task.queryInputs), queryLabels), predicted).map {
                    Example(image: $0.0, label: $0.1, predicted: $1)
                }
                drawn.append(ClassificationTask(index: index, support: Self.firstOfEachClass(support, limit: imagesShown),
                                                queries: Self.firstOfEachClass(queries, limit: imagesShown)))
            }
            return result(.classification(drawn))
        }
    }

    /// The index of the largest entry of each row of `[rows, columns]` (the first one on ties).
    static func argmaxRows(_ t: Tensor<Float>) -> [Int] {
        let columns = t.count / max(t.shape[0], 1), values = t.scalars
        return (0..<t.shape[0]).map { r in
            var best = 0
            for j in 1..<max(columns, 1) where values[r * columns + j] > values[r * columns + best] { best = j }
            return best
        }
    }

    /// Gray images of a `[n, channels, height, width]` tensor of ink in [0, 1]: channels
    /// averaged, ink dark on white.
    static func images(_ t: Tensor<Float>) -> [Image] {
        let (n, channels, height, width) = (t.shape[0], t.shape[1], t.shape[2], t.shape[3])
        let values = t.scalars, plane = height * width
        return (0..<n).map { i in
            Image(width: width, height: height, pixels: (0..<plane).map { p in
                var ink: Float = 0
                for ch in 0..<channels { ink += values[(i * channels + ch) * plane + p] }
                let v = min(max(ink / Float(max(channels, 1)), 0), 1)
                return UInt8((255 * (1 - v)).rounded())
            })
        }
    }

    /// Up to `limit` examples: the first of each class, then the second of each, and so on,
    /// each round in class order.
    static func firstOfEachClass(_ examples: [Example], limit: Int) -> [Example] {
        var byClass: [Int: [Example]] = [:]
        for e in examples { byClass[e.label, default: []].append(e) }
        let classes = byClass.keys.sorted()
        var out: [Example] = [], round = 0
        while out.count < min(limit, examples.count) {
            for label in classes where round < byClass[label]!.count && out.count < limit { out.append(byClass[label]![round]) }
            round += 1
        }
        return out
    }
}
