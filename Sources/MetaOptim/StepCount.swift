import MetaTensor

/// The encoding of an optimizer's step count as a tensor: four 16-bit limbs, least
/// significant first, shape `[4]`. Every limb is an integer below 2¹⁶, exactly representable
/// in `Float` and `Double`, so the count round-trips exactly through a checkpoint of either
/// scalar type (a plain `Float` scalar would round above 2²⁴).
public enum StepCount {
    /// The tensor holding `step` (which must be non-negative).
    public static func tensor<S: TensorScalar>(_ step: Int, as: S.Type = S.self) -> Tensor<S> {
        require(step >= 0, "step count must be non-negative, got \(step)")
        let s = UInt64(step)
        return Tensor(shape: [4], scalars: (0..<4).map { S(Double((s >> (16 * UInt64($0))) & 0xFFFF)) })
    }

    /// The step count held by `tensor`; throws unless it has shape `[4]` and every limb is an
    /// integer in 0..<65536 and the count is below `Int.max` (so one more update can be counted).
    public static func value<S: TensorScalar>(of tensor: Tensor<S>, name: String) throws -> Int {
        guard tensor.shape == [4] else {
            throw OptimizerStateError("'\(name)' has shape \(tensor.shape), expected [4] (step count limbs)")
        }
        var step: UInt64 = 0
        for (i, limb) in tensor.scalars.enumerated() {
            let d = Double(limb)
            guard d.isFinite, d >= 0, d < 65536, d == d.rounded() else {
                throw OptimizerStateError("'\(name)' limb \(i) is \(limb), not an integer in 0..<65536")
            }
            step |= UInt64(d) << (16 * UInt64(i))
        }
        // Int.max itself is refused too: the next update counts step + 1.
        guard step < UInt64(Int.max) else { throw OptimizerStateError("'\(name)' step count \(step) leaves no room for another update") }
        return Int(step)
    }
}
