import Foundation
import MetaTensor
import MetaNN
import MetaTasks

/// The result of the evaluation protocol: the metric after each inner step 0…K over N tasks
/// (or, for sequence learners, at each presentation of a class 1…K: see ``axis``).
public struct EvaluationReport: Codable, Sendable {
    public struct Step: Codable, Sendable {
        public var mean: Double
        /// Half-width of the 95% confidence interval: 1.96 · σ / √N (σ the sample standard deviation).
        public var ci95: Double
    }
    /// The metric's name (``Metric/name``): "mse" or "accuracy".
    public var metric: String
    public var tasks: Int
    /// Indexed by inner step 0…K, or by presentation (entry k is the (k+1)-th) when ``axis`` says so.
    public var steps: [Step]
    /// What ``steps`` is indexed by (``Learner/evaluationAxis``); nil in reports written
    /// before sequence learners existed, which mean "inner step".
    public var axis: String?

    /// The label of entry `index` of ``steps``: the inner step (from 0) or the presentation (from 1).
    public func label(_ index: Int) -> Int { axis == "presentation" ? index + 1 : index }

    public init(metric: String, perTask: [[Double]], axis: String = "inner step") {
        self.metric = metric
        self.axis = axis
        tasks = perTask.count
        let k = perTask.first?.count ?? 0
        steps = (0..<k).map { step in
            let xs = perTask.map { $0[step] }
            let n = Double(xs.count)
            let mean = xs.reduce(0, +) / n
            let variance = xs.count > 1 ? xs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1) : 0
            return Step(mean: mean, ci95: 1.96 * variance.squareRoot() / n.squareRoot())
        }
    }

    /// A plain-text table, one row per inner step.
    public var table: String {
        var lines = ["\(axis == "presentation" ? "pres." : "step")  \(metric) (mean ± 95% CI over \(tasks) tasks)"]
        let percent = Metric.isFraction(named: metric)
        for (i, s) in steps.enumerated() {
            lines.append(String(label(i)).padding(toLength: 6, withPad: " ", startingAt: 0)
                         + "\(format(s.mean, percent: percent)) ± \(format(s.ci95, percent: percent))")
        }
        return lines.joined(separator: "\n")
    }

    /// A fraction as a percentage with two decimals (`98.97%`, as the report pages print it);
    /// any other metric with four significant digits (`0.3521`, `-13.18`).
    private func format(_ x: Double, percent: Bool) -> String {
        percent ? String(format: "%.2f%%", x * 100) : String(format: "%.4g", x)
    }
}

/// The evaluation protocol: adapt on each held-out task's support set and measure the query
/// metric after every inner step. Tasks come from a fixed evaluation seed, so every model is
/// scored on the same tasks.
public enum Evaluation {
    public static func run<S: TensorScalar>(algorithm: Algorithm, model: any Model, parameters: Parameters<Tensor<S>>,
                                            family: any TaskFamily, split: TaskSplit, seed: UInt64, tasks: Int, steps: Int,
                                            inner: InnerLoop, metric: Metric) -> EvaluationReport {
        let perTask = perTask(algorithm: algorithm, model: model, parameters: parameters, family: family, split: split,
                              seed: seed, tasks: tasks, steps: steps, inner: inner)
        return EvaluationReport(metric: metric.name, perTask: perTask, axis: algorithm.learner.evaluationAxis)
    }

    /// The metric of each task 0..<`tasks` (iteration 0 of `seed` on `split`) after each step:
    /// the rows ``run(algorithm:model:parameters:family:split:seed:tasks:steps:inner:metric:)`` averages.
    public static func perTask<S: TensorScalar>(algorithm: Algorithm, model: any Model, parameters: Parameters<Tensor<S>>,
                                                family: any TaskFamily, split: TaskSplit, seed: UInt64, tasks: Int, steps: Int,
                                                inner: InnerLoop) -> [[Double]] {
        (0..<tasks).map { i in
            let task: Task<S> = family.task(seed: seed, iteration: 0, index: UInt32(i), split: split, as: S.self)
            return algorithm.evaluate(model: model, parameters: parameters, task: task, inner: inner, steps: steps)
        }
    }
}
