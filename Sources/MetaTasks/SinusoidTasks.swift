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

    public func task<S: TensorScalar>(seed: UInt64, iteration: UInt64, index: UInt32, split: TaskSplit, as: S.Type = S.self) -> Task<S> {
        // The split picks a separate stream family: validation and test tasks never repeat training tasks.
        var stream = RandomStream(seed: seed, iteration: iteration, task: index,
                                  purpose: RandomPurpose("sinusoid-\(split.rawValue)"))
        let amplitude = stream.uniform(Self.amplitudeRange.lowerBound, Self.amplitudeRange.upperBound)
        let phase = stream.uniform(Self.phaseRange.lowerBound, Self.phaseRange.upperBound)
        func points(_ n: Int) -> (Tensor<S>, Tensor<S>) {
            var xs = [S](), ys = [S]()
            for _ in 0..<n {
                let x = stream.uniform(Self.inputRange.lowerBound, Self.inputRange.upperBound)
                xs.append(S(x)); ys.append(S(amplitude * _sin(x - phase)))
            }
            return (Tensor(shape: [n, 1], scalars: xs), Tensor(shape: [n, 1], scalars: ys))
        }
        let (sx, sy) = points(supportPoints), (qx, qy) = points(queryPoints)
        return Task(supportInputs: sx, supportTargets: .regression(sy), queryInputs: qx, queryTargets: .regression(qy))
    }
}

import Foundation
@inline(__always) private func _sin(_ x: Double) -> Double { Foundation.sin(x) }
