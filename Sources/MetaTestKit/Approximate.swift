import MetaTensor

/// Approximate comparison of tensors with a relative tolerance.
public enum Approximate {
    /// `‖a − b‖ / max(‖b‖, floor)` over all elements, in `Double`.
    public static func relativeError<S: TensorScalar, T: TensorScalar>(_ a: Tensor<S>, _ b: Tensor<T>, floor: Double = 1e-12) -> Double {
        require(a.shape == b.shape, "shape error in relativeError: \(a.shape) vs \(b.shape)")
        let x = a.converted(to: Double.self).scalars, y = b.converted(to: Double.self).scalars
        return GradientCheck.relativeError(x, y, floor: floor)
    }

    /// Whether every element agrees within `absolute + relative · |b|`.
    public static func equal<S: TensorScalar>(_ a: Tensor<S>, _ b: Tensor<S>, relative: Double = 1e-5, absolute: Double = 1e-6) -> Bool {
        guard a.shape == b.shape else { return false }
        for (x, y) in zip(a.scalars, b.scalars) {
            let dx = Double(x), dy = Double(y)
            if Swift.abs(dx - dy) > absolute + relative * Swift.abs(dy) { return false }
        }
        return true
    }
}
