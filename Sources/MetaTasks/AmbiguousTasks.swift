import MetaTensor
import MetaRandom

/// Ambiguous regression, the setting of probabilistic MAML (Finn, Xu & Levine 2018, §5.1):
/// each task is, with equal probability, a sinusoid `A sin(x − φ)` (A ~ U[0.1, 5], φ ~ U[0, π],
/// as ``SinusoidTasks``) or a line `a x + b` (a, b ~ U[−3, 3]); targets carry Gaussian
/// observation noise of standard deviation ``noiseStandardDeviation``. Support inputs are drawn
/// from U[−5, 5]; query inputs too (the 100 query points on [−5, 5]).
///
/// Five noisy points are often explained by a line and by a sine alike, which is what makes a
/// point estimate (MAML) overconfident and a posterior over functions useful.
public struct AmbiguousTasks: FunctionTaskFamily {
    public var supportPoints: Int, queryPoints: Int
    public static let amplitudeRange = SinusoidTasks.amplitudeRange
    public static let phaseRange = SinusoidTasks.phaseRange
    public static let slopeRange = -3.0...3.0
    public static let interceptRange = -3.0...3.0
    public static let inputRange = -5.0...5.0
    /// The observation noise's standard deviation (probabilistic MAML's 0.3); the known noise
    /// of Bayesian learners' Gaussian likelihood on these tasks.
    public static let noiseStandardDeviation = 0.3

    /// A task's function: which kind and its two coefficients.
    public enum Function: Sendable, Equatable {
        case sine(amplitude: Double, phase: Double)
        case line(slope: Double, intercept: Double)

        public func callAsFunction(_ x: Double) -> Double {
            switch self {
            case let .sine(a, p): return a * _sin(x - p)
            case let .line(a, b): return a * x + b
            }
        }
    }

    public init(supportPoints: Int = 5, queryPoints: Int = 100) {
        self.supportPoints = supportPoints; self.queryPoints = queryPoints
    }

    /// The function of the task with these coordinates.
    public func function(seed: UInt64, iteration: UInt64, index: UInt32, split: TaskSplit) -> Function {
        var stream = RandomStream(seed: seed, iteration: iteration, task: index, purpose: Self.purposes[split]!)
        return Self.drawFunction(&stream)
    }

    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public func task<S: TensorScalar>(seed: UInt64, iteration: UInt64, index: UInt32, split: TaskSplit, as: S.Type = S.self) -> Task<S> {
        // The split picks a separate stream family: validation and test tasks never repeat training tasks.
        var stream = RandomStream(seed: seed, iteration: iteration, task: index, purpose: Self.purposes[split]!)
        let f = Self.drawFunction(&stream)
        // Support points, then query points; each point draws x, then its noise; y in Double.
        var inputs: [Tensor<S>] = [], targets: [Tensor<S>] = []
        for n in [supportPoints, queryPoints] {
            var xs = [Double](repeating: 0, count: n), ys = xs
            for i in 0..<n {
                xs[i] = stream.uniform(Self.inputRange.lowerBound, Self.inputRange.upperBound)
                ys[i] = f(xs[i]) + Self.noiseStandardDeviation * stream.normal()
            }
            inputs.append(Tensor(shape: [n, 1]) { p, _ in for i in 0..<n { p[i] = S(xs[i]) } })
            targets.append(Tensor(shape: [n, 1]) { p, _ in for i in 0..<n { p[i] = S(ys[i]) } })
        }
        return Task(supportInputs: inputs[0], supportTargets: .regression(targets[0]),
                    queryInputs: inputs[1], queryTargets: .regression(targets[1]))
    }

    public var inputDomain: ClosedRange<Double> { Self.inputRange }

    /// The task with these coordinates, its query set replaced by `queryInputs` (`[n, 1]`) and
    /// the noiseless function there.
    public func task<S: TensorScalar>(seed: UInt64, iteration: UInt64, index: UInt32, split: TaskSplit,
                                      queryInputs: Tensor<S>) -> Task<S> {
        let drawn = task(seed: seed, iteration: iteration, index: index, split: split, as: S.self)
        let f = function(seed: seed, iteration: iteration, index: index, split: split)
        let xs = queryInputs.converted(to: Double.self).scalars
        let targets = Tensor<S>(shape: [xs.count, 1]) { p, _ in for (i, x) in xs.enumerated() { p[i] = S(f(x)) } }
        return Task(supportInputs: drawn.supportInputs, supportTargets: drawn.supportTargets,
                    queryInputs: queryInputs, queryTargets: .regression(targets))
    }

    /// A task's function: the first three draws of its stream (the kind, then two coefficients).
    private static func drawFunction(_ stream: inout RandomStream) -> Function {
        if stream.nextUnit() < 0.5 {
            return .sine(amplitude: stream.uniform(amplitudeRange.lowerBound, amplitudeRange.upperBound),
                         phase: stream.uniform(phaseRange.lowerBound, phaseRange.upperBound))
        }
        return .line(slope: stream.uniform(slopeRange.lowerBound, slopeRange.upperBound),
                     intercept: stream.uniform(interceptRange.lowerBound, interceptRange.upperBound))
    }

    private static let purposes = Dictionary(uniqueKeysWithValues: TaskSplit.allCases.map {
        ($0, RandomPurpose("ambiguous-\($0.rawValue)"))
    })
}

import Foundation
@inline(__always) private func _sin(_ x: Double) -> Double { Foundation.sin(x) }
