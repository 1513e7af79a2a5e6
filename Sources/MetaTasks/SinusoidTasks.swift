import MetaTensor
import MetaRandom

/// Sinusoid regression (Finn et al. 2017, §5.1): `y = A sin(x − φ)` with amplitude
/// A ~ U[0.1, 5.0], phase φ ~ U[0, π] and inputs x ~ U[−5, 5]; K support and K query points.
public struct SinusoidTasks: FunctionTaskFamily {
    public var supportPoints: Int, queryPoints: Int
    public static let amplitudeRange = 0.1...5.0
    public static let phaseRange = 0.0...Double.pi
    public static let inputRange = -5.0...5.0

    public init(supportPoints: Int = 10, queryPoints: Int = 10) {
        self.supportPoints = supportPoints; self.queryPoints = queryPoints
    }

    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public func task<S: TensorScalar>(seed: UInt64, iteration: UInt64, index: UInt32, split: TaskSplit, as: S.Type = S.self) -> Task<S> {
        // The split picks a separate stream family: validation and test tasks never repeat training tasks.
        var stream = RandomStream(seed: seed, iteration: iteration, task: index, purpose: Self.purposes[split]!)
        let (amplitude, phase) = Self.drawFunction(&stream)
        // Support points, then query points; each point draws x, and y = A sin(x − φ) in Double.
        let counts = [supportPoints, queryPoints]
        var inputs: [Tensor<S>] = [], targets: [Tensor<S>] = []
        for n in counts {
            var xs = [Double](repeating: 0, count: n)
            for i in 0..<n { xs[i] = stream.uniform(Self.inputRange.lowerBound, Self.inputRange.upperBound) }
            inputs.append(Tensor(shape: [n, 1]) { p, _ in for i in 0..<n { p[i] = S(xs[i]) } })
            targets.append(Tensor(shape: [n, 1]) { p, _ in for i in 0..<n { p[i] = S(amplitude * _sin(xs[i] - phase)) } })
        }
        return Task(supportInputs: inputs[0], supportTargets: .regression(targets[0]),
                    queryInputs: inputs[1], queryTargets: .regression(targets[1]))
    }

    public var inputDomain: ClosedRange<Double> { Self.inputRange }

    /// The task with these coordinates, its query set replaced by `queryInputs` (`[n, 1]`) and
    /// `A sin(x − φ)` there.
    public func task<S: TensorScalar>(seed: UInt64, iteration: UInt64, index: UInt32, split: TaskSplit,
                                      queryInputs: Tensor<S>) -> Task<S> {
        let drawn = task(seed: seed, iteration: iteration, index: index, split: split, as: S.self)
        var stream = RandomStream(seed: seed, iteration: iteration, task: index, purpose: Self.purposes[split]!)
        let (amplitude, phase) = Self.drawFunction(&stream)
        let xs = queryInputs.converted(to: Double.self).scalars
        let targets = Tensor<S>(shape: [xs.count, 1]) { p, _ in for (i, x) in xs.enumerated() { p[i] = S(amplitude * _sin(x - phase)) } }
        return Task(supportInputs: drawn.supportInputs, supportTargets: drawn.supportTargets,
                    queryInputs: queryInputs, queryTargets: .regression(targets))
    }

    /// A task's amplitude and phase: the first two draws of its stream.
    private static func drawFunction(_ stream: inout RandomStream) -> (amplitude: Double, phase: Double) {
        let amplitude = stream.uniform(amplitudeRange.lowerBound, amplitudeRange.upperBound)
        let phase = stream.uniform(phaseRange.lowerBound, phaseRange.upperBound)
        return (amplitude, phase)
    }

    private static let purposes = Dictionary(uniqueKeysWithValues: TaskSplit.allCases.map {
        ($0, RandomPurpose("sinusoid-\($0.rawValue)"))
    })
}

import Foundation
@inline(__always) private func _sin(_ x: Double) -> Double { Foundation.sin(x) }
