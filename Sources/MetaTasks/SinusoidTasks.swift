import MetaTensor
import MetaRandom

/// Sinusoid regression (Finn et al. 2017, §5.1): `y = A sin(x − φ)` with amplitude
/// A ~ U[0.1, 5.0], phase φ ~ U[0, π] and inputs x ~ U[−5, 5]; K support and K query points.
public struct SinusoidTasks: TaskFamily {
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
        let amplitude = stream.uniform(Self.amplitudeRange.lowerBound, Self.amplitudeRange.upperBound)
        let phase = stream.uniform(Self.phaseRange.lowerBound, Self.phaseRange.upperBound)
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

    private static let purposes = Dictionary(uniqueKeysWithValues: TaskSplit.allCases.map {
        ($0, RandomPurpose("sinusoid-\($0.rawValue)"))
    })
}

import Foundation
@inline(__always) private func _sin(_ x: Double) -> Double { Foundation.sin(x) }
