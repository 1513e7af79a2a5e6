import Foundation
import MetaTensor
import MetaNN
import MetaRandom
import MetaTasks

/// How well a learner's stated uncertainty matches held-out tasks, after `steps` adaptation
/// steps on each test task's support set.
///
/// Regression: each query target is scored under a predictive distribution
/// (``PredictiveMixture``): for a ``PredictiveLearner``, the mixture over its posterior draws
/// with its observation noise; for any other learner, one Gaussian at its adapted prediction
/// with a constant variance σ² fitted (maximum likelihood: the mean squared residual) on the
/// query sets of as many validation tasks. Figures: the fraction of query targets inside the
/// central 50 / 90 / 95 % intervals, and the negative log-likelihood per query point, each
/// a mean over tasks with a 95 % confidence interval (1.96 · σ / √N).
///
/// Classification: the class probabilities (``Learner/classProbabilities(scores:)``, averaged
/// over draws for ABML); accuracy and NLL per task with their intervals, and the expected
/// calibration error (Guo et al. 2017: 15 equal-width confidence bins, Σ |bin| / n ·
/// |accuracy − confidence|) over all query predictions, with a 95 % bootstrap interval
/// (1,000 resamples of tasks from a fixed stream).
public struct CalibrationReport: Codable, Sendable, Equatable {
    public struct Figure: Codable, Sendable, Equatable {
        public var mean: Double
        /// Half-width of the 95 % interval.
        public var ci95: Double
    }
    public struct Coverage: Codable, Sendable, Equatable {
        /// The nominal probability of the central interval (0.5, 0.9, 0.95).
        public var level: Double
        /// The fraction of query targets inside it.
        public var fraction: Figure
    }
    public var tasks: Int
    /// Adaptation steps before scoring.
    public var steps: Int
    /// "posterior predictive (S draws, noise σ)" or "constant noise σ fitted on N validation tasks".
    public var predictive: String
    /// Regression only.
    public var coverage: [Coverage]?
    /// Regression: the predictive mean's squared error. Classification: nil.
    public var mse: Figure?
    /// Classification: the averaged probabilities' accuracy.
    public var accuracy: Figure?
    /// Negative log-likelihood per query point.
    public var nll: Figure
    /// Classification: expected calibration error; its ci95 is the bootstrap interval's half-width.
    public var ece: Figure?
    /// Regression: the predictive variance split into its two parts, each a mean over every
    /// query point of every task: the observation noise's variance σ², and the variance of the
    /// draws' predictions about their mean (0 for a point estimate). A mixture's variance is
    /// their sum. With Student-t noise (`inner.noise_dof` ν) the first part is the noise's
    /// squared scale s², not its variance, which is ν/(ν − 2)·s² for ν > 2.
    public var noiseVariance: Double?
    public var drawVariance: Double?
    /// Regression on a family with kinds (``TaskKinds``): the same figures over each kind's tasks.
    public var kinds: [Kind]?
    /// Each task's negative log-likelihood per query point, in task order (their mean is
    /// ``nll``): what ``Calibration/pairedDifference(_:_:)`` compares two models by.
    public var taskNLL: [Double]?

    /// Regression figures over the tasks of one kind.
    public struct Kind: Codable, Sendable, Equatable {
        public var name: String
        public var tasks: Int
        public var coverage: [Coverage]
        public var mse: Figure
        public var nll: Figure
        public var drawVariance: Double
    }

    /// A plain-text table.
    public var table: String {
        func f(_ x: Double) -> String { String(format: "%.4f", x) }
        var lines = ["calibration over \(tasks) test tasks after \(steps) steps (mean ± 95% CI); predictive: \(predictive)"]
        for c in coverage ?? [] {
            lines.append("coverage \(Int((c.level * 100).rounded()))%: \(f(c.fraction.mean * 100))% ± \(f(c.fraction.ci95 * 100))%")
        }
        if let mse { lines.append("mse: \(f(mse.mean)) ± \(f(mse.ci95))") }
        if let accuracy { lines.append("accuracy: \(f(accuracy.mean * 100))% ± \(f(accuracy.ci95 * 100))%") }
        lines.append("nll: \(f(nll.mean)) ± \(f(nll.ci95))")
        if let ece { lines.append("ece: \(f(ece.mean * 100))% ± \(f(ece.ci95 * 100))%") }
        if let noiseVariance, let drawVariance {
            lines.append("predictive variance per point: noise \(f(noiseVariance)) + draws' spread \(f(drawVariance))")
        }
        for k in kinds ?? [] {
            let cover = k.coverage.map { "\(f($0.fraction.mean * 100))% ± \(f($0.fraction.ci95 * 100))%" }.joined(separator: " / ")
            lines.append("\(k.name) (\(k.tasks) tasks): coverage \(cover); mse \(f(k.mse.mean)) ± \(f(k.mse.ci95)); "
                         + "nll \(f(k.nll.mean)) ± \(f(k.nll.ci95)); draws' spread \(f(k.drawVariance))")
        }
        return lines.joined(separator: "\n")
    }
}

/// The calibration protocol (``CalibrationReport``).
public enum Calibration {
    /// The central intervals reported.
    public static let levels = [0.5, 0.9, 0.95]
    /// Confidence bins of the expected calibration error.
    public static let bins = 15

    /// Scores `learner` on tasks 0..<`tasks` of `split` (iteration 0 of `seed`, as the
    /// evaluation protocol draws them) after `steps` steps; a learner without a predictive
    /// distribution has its regression noise fitted on the same number of validation tasks.
    public static func run<S: TensorScalar>(learner: any Learner, model: any Model, parameters: Parameters<Tensor<S>>,
                                            family: any TaskFamily, split: TaskSplit = .test, seed: UInt64, tasks: Int,
                                            steps: Int, inner: InnerLoop) -> CalibrationReport {
        let drawn: [Task<S>] = (0..<tasks).map { family.task(seed: seed, iteration: 0, index: UInt32($0), split: split, as: S.self) }
        guard case .regression = drawn.first?.queryTargets else {
            return classification(learner: learner, model: model, parameters: parameters, tasks: drawn, steps: steps, inner: inner, seed: seed)
        }
        // Per task, the predictive distribution of each query point.
        let predictive: String
        let mixtures: [[PredictiveMixture]]
        if let bayes = learner as? any PredictiveLearner {
            var noises: [Double] = []
            mixtures = drawn.map { task in
                let (outputs, sd) = bayes.predictive(model: model, parameters: parameters, input: AdaptationInput(task), inner: inner, steps: steps)
                let draws = outputs.map { $0.converted(to: Double.self).scalars }
                noises += sd
                return (0..<task.queryTargets.count).map { j in
                    PredictiveMixture(means: draws.map { $0[j] }, standardDeviation: sd[j], degreesOfFreedom: inner.noiseDegreesOfFreedom)
                }
            }
            let (low, high) = (noises.min() ?? 0, noises.max() ?? 0)
            let by = inner.leverageNoise ? "by task and point" : "by task"
            let noise = low == high ? String(format: "%.4f", low) : String(format: "%.4f to %.4f \(by)", low, high)
            let kind = inner.noiseDegreesOfFreedom.map { "Student-t noise, \($0) degrees of freedom, scale" } ?? "noise"
            predictive = "posterior predictive (\(inner.samples) draws, \(kind) \(noise))"
        } else {
            func adapted(_ task: Task<S>) -> [Double] {
                learner.queryOutputs(model: model, parameters: parameters, input: AdaptationInput(task), inner: inner, steps: steps)
                    .last!.converted(to: Double.self).scalars
            }
            var squares = 0.0, count = 0
            for i in 0..<tasks {
                let task: Task<S> = family.task(seed: seed, iteration: 0, index: UInt32(i), split: .validation, as: S.self)
                for (p, y) in zip(adapted(task), targets(task)) { squares += (p - y) * (p - y); count += 1 }
            }
            let sd = (squares / Double(count)).squareRoot()
            predictive = "constant noise \(String(format: "%.4f", sd)) fitted on \(tasks) validation tasks"
            mixtures = drawn.map { task in adapted(task).map { PredictiveMixture(means: [$0], standardDeviation: sd) } }
        }
        let all = regressionFigures(tasks: drawn, mixtures: mixtures)
        var kinds: [CalibrationReport.Kind]?
        if let kinded = family as? any TaskKinds {
            let names = (0..<tasks).map { kinded.kind(seed: seed, iteration: 0, index: UInt32($0), split: split) }
            kinds = kinded.kindNames.compactMap { name in
                let picked = names.indices.filter { names[$0] == name }
                guard picked.count > 1 else { return nil }
                let f = regressionFigures(tasks: picked.map { drawn[$0] }, mixtures: picked.map { mixtures[$0] })
                return CalibrationReport.Kind(name: name, tasks: picked.count, coverage: f.coverage, mse: f.mse, nll: f.nll,
                                              drawVariance: f.drawVariance)
            }
        }
        return CalibrationReport(tasks: tasks, steps: steps, predictive: predictive, coverage: all.coverage, mse: all.mse,
                                 accuracy: nil, nll: all.nll, ece: nil, noiseVariance: all.noiseVariance,
                                 drawVariance: all.drawVariance, kinds: kinds, taskNLL: all.taskNLL)
    }

    /// Coverage, NLL and MSE (means over tasks with their intervals) and the mean noise and
    /// draw variances per query point, of these tasks' query targets under their predictives.
    static func regressionFigures<S: TensorScalar>(tasks: [Task<S>], mixtures: [[PredictiveMixture]])
        -> (coverage: [CalibrationReport.Coverage], mse: CalibrationReport.Figure, nll: CalibrationReport.Figure,
            noiseVariance: Double, drawVariance: Double, taskNLL: [Double]) {
        var coverage = levels.map { _ in [Double]() }, nll: [Double] = [], mse: [Double] = []
        var noise = 0.0, spread = 0.0, points = 0
        for (task, predictives) in zip(tasks, mixtures) {
            let ys = targets(task)
            for (k, level) in levels.enumerated() {
                let inside = zip(predictives, ys).filter { $0.covers($1, level: level) }.count
                coverage[k].append(Double(inside) / Double(ys.count))
            }
            nll.append(zip(predictives, ys).reduce(0) { $0 - $1.0.logDensity($1.1) } / Double(ys.count))
            mse.append(zip(predictives, ys).reduce(0) { s, p in
                let mean = p.0.means.reduce(0, +) / Double(p.0.means.count)
                return s + (mean - p.1) * (mean - p.1)
            } / Double(ys.count))
            for p in predictives {
                let mean = p.means.reduce(0, +) / Double(p.means.count)
                spread += p.means.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(p.means.count)
                noise += p.standardDeviation * p.standardDeviation
                points += 1
            }
        }
        return (zip(levels, coverage).map { CalibrationReport.Coverage(level: $0, fraction: figure($1)) }, figure(mse), figure(nll),
                noise / Double(points), spread / Double(points), nll)
    }

    static func classification<S: TensorScalar>(learner: any Learner, model: any Model, parameters: Parameters<Tensor<S>>,
                                                tasks: [Task<S>], steps: Int, inner: InnerLoop, seed: UInt64) -> CalibrationReport {
        var accuracy: [Double] = [], nll: [Double] = [], perTaskBins: [[Bin]] = []
        for task in tasks {
            guard case let .classification(labels) = task.queryTargets else { continue }
            let scores = learner.queryOutputs(model: model, parameters: parameters, input: AdaptationInput(task), inner: inner, steps: steps)
                .last!.converted(to: Double.self)
            let classes = scores.shape[1], values = scores.scalars
            var correct = 0, logLoss = 0.0, bins = [Bin](repeating: Bin(), count: Self.bins)
            for (j, label) in labels.enumerated() {
                let p = learner.classProbabilities(scores: Array(values[(j * classes)..<((j + 1) * classes)]))
                let top = p.indices.max { p[$0] < p[$1] }!
                let hit = top == label
                if hit { correct += 1 }
                logLoss -= log(Swift.max(p[label], .leastNormalMagnitude))
                let b = Swift.min(Int(p[top] * Double(Self.bins)), Self.bins - 1)
                bins[b].count += 1; bins[b].confidence += p[top]; bins[b].correct += hit ? 1 : 0
            }
            accuracy.append(Double(correct) / Double(labels.count))
            nll.append(logLoss / Double(labels.count))
            perTaskBins.append(bins)
        }
        let ece = expectedCalibrationError(perTaskBins)
        // The bootstrap: resample tasks with replacement from a fixed stream.
        var stream = RandomStream(seed: seed, purpose: RandomPurpose("calibration-bootstrap"))
        var resampled: [Double] = (0..<1_000).map { _ in
            expectedCalibrationError((0..<perTaskBins.count).map { _ in perTaskBins[stream.nextInt(below: perTaskBins.count)] })
        }
        resampled.sort()
        let half = (resampled[974] - resampled[25]) / 2
        return CalibrationReport(tasks: tasks.count, steps: steps,
                                 predictive: learner is any PredictiveLearner ? "posterior predictive (\(inner.samples) draws)" : "point estimate",
                                 coverage: nil, mse: nil, accuracy: figure(accuracy), nll: figure(nll),
                                 ece: CalibrationReport.Figure(mean: ece, ci95: half), taskNLL: nll)
    }

    /// The expected calibration error of predictions with these top-class confidences, right or not.
    public static func expectedCalibrationError(confidences: [Double], correct: [Bool]) -> Double {
        require(confidences.count == correct.count && !confidences.isEmpty, "ECE: \(confidences.count) confidences, \(correct.count) outcomes")
        var bins = [Bin](repeating: Bin(), count: Self.bins)
        for (p, hit) in zip(confidences, correct) {
            let b = Swift.min(Int(p * Double(Self.bins)), Self.bins - 1)
            bins[b].count += 1; bins[b].confidence += p; bins[b].correct += hit ? 1 : 0
        }
        return expectedCalibrationError([bins])
    }

    /// One confidence bin's totals.
    struct Bin: Sendable {
        var count = 0
        var confidence = 0.0
        var correct = 0
    }

    /// Σ_b |b| / n · |accuracy_b − confidence_b| over the pooled bins of the tasks.
    static func expectedCalibrationError(_ perTask: [[Bin]]) -> Double {
        var total = [Bin](repeating: Bin(), count: bins)
        for task in perTask {
            for (b, bin) in task.enumerated() {
                total[b].count += bin.count; total[b].confidence += bin.confidence; total[b].correct += bin.correct
            }
        }
        let n = Double(total.reduce(0) { $0 + $1.count })
        return total.reduce(0) { sum, bin in
            bin.count == 0 ? sum : sum + Swift.abs(Double(bin.correct) - bin.confidence) / n
        }
    }

    /// The regression targets of a task's query set.
    static func targets<S: TensorScalar>(_ task: Task<S>) -> [Double] {
        guard case let .regression(y) = task.queryTargets else { return [] }
        return y.converted(to: Double.self).scalars
    }

    /// The paired difference of two models' figures on the same tasks, `a[i] − b[i]`: its mean
    /// over the tasks and the half-width of the mean's 95 % interval (1.96 · sd / √N of the
    /// differences). Paired, the tasks' shared difficulty cancels, so the interval is far
    /// narrower than that of either mean; one that excludes 0 shows which model is better.
    public static func pairedDifference(_ a: [Double], _ b: [Double]) -> CalibrationReport.Figure {
        require(a.count == b.count && a.count > 1, "Calibration.pairedDifference: \(a.count) and \(b.count) tasks; needs the same tasks, at least 2")
        return figure(zip(a, b).map { $0 - $1 })
    }

    /// The mean and the half-width of its 95 % confidence interval.
    static func figure(_ xs: [Double]) -> CalibrationReport.Figure {
        let n = Double(xs.count)
        let mean = xs.reduce(0, +) / n
        let variance = xs.count > 1 ? xs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1) : 0
        return CalibrationReport.Figure(mean: mean, ci95: 1.96 * variance.squareRoot() / n.squareRoot())
    }
}
