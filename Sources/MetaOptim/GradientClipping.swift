import MetaTensor
import MetaNN

/// Gradient clipping: pure functions from gradients to gradients, applied before an
/// optimizer's update.
public enum GradientClipping {
    /// The global L2 norm √(Σ over every tensor and element of g²), accumulated in `Double`
    /// (each tensor is converted to `Double` by one kernel, squared and summed in `Double`).
    public static func globalNorm<S: TensorScalar>(_ gradients: Parameters<Tensor<S>>) -> Double {
        var sumOfSquares = 0.0
        for g in gradients.values where g.count > 0 {
            sumOfSquares += g.converted(to: Double.self).map(.square).sum().scalar
        }
        return sumOfSquares.squareRoot()
    }

    /// Scales all gradients by one factor so that their global norm is at most `maxNorm`
    /// (Pascanu et al. 2013; optax's `clip_by_global_norm`, PyTorch's `clip_grad_norm_`):
    /// ```
    /// ‖g‖ ≤ maxNorm:  g unchanged (the same tensors, not copies)
    /// ‖g‖ > maxNorm:  g · (maxNorm / ‖g‖)   (the factor computed in Double, rounded once)
    /// ```
    /// so the clipped norm equals `maxNorm` up to rounding. When the norm is not finite (a NaN
    /// or infinite gradient), no scaling can repair it: the gradients are returned unchanged
    /// and the caller sees the non-finite `norm` (and should skip the step).
    ///
    /// - Returns: the clipped gradients and the norm *before* clipping.
    public static func byGlobalNorm<S: TensorScalar>(_ gradients: Parameters<Tensor<S>>, maxNorm: S)
        -> (clipped: Parameters<Tensor<S>>, norm: Double)
    {
        require(maxNorm > 0 && maxNorm.isFinite, "byGlobalNorm: maxNorm must be finite and > 0, got \(maxNorm)")
        let norm = globalNorm(gradients)
        guard norm.isFinite, norm > Double(maxNorm) else { return (gradients, norm) }
        let factor = S(Double(maxNorm) / norm)
        return (gradients.map { $0 * factor }, norm)
    }

    /// Clamps every element to [−limit, limit] (optax's `clip`, PyTorch's
    /// `clip_grad_value_`). NaN elements stay NaN, so a diverged gradient is not hidden.
    public static func byValue<S: TensorScalar>(_ gradients: Parameters<Tensor<S>>, limit: S) -> Parameters<Tensor<S>> {
        require(limit >= 0, "byValue: limit must be ≥ 0, got \(limit)")
        let low = Tensor<S>(-limit), high = Tensor<S>(limit)
        // The bound is the first operand: the kernels return the second when the comparison
        // is false, which is the case for NaN.
        return gradients.map { Tensor.zip(.minimum, high, Tensor.zip(.maximum, low, $0)) }
    }
}
