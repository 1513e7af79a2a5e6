import MetaTensor

// Composite functions: built only from recorded primitives, so their first and higher
// derivatives come from the primitive rules and need no code of their own.

extension Variable {
    /// `log Σ exp(x)` along `axis`, computed stably: the maximum is subtracted first and added
    /// back. The maximum is a constant (stop-gradient); the result does not depend on which
    /// constant is subtracted, so every derivative is still exact.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func logSumExp(alongAxis axis: Int, keepingDimensions: Bool = false) -> Variable {
        let m = max(alongAxis: axis, keepingDimensions: true).detached()
        let lse = (self - m).exp().sum(alongAxes: [axis], keepingDimensions: true).log() + m
        return keepingDimensions ? lse : lse.reshaped(value.droppingAxes([axis]))
    }

    /// `x − logΣexp(x)` along `axis` (stable).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func logSoftmax(alongAxis axis: Int = -1) -> Variable {
        self - logSumExp(alongAxis: axis, keepingDimensions: true)
    }

    /// `exp(x) / Σ exp(x)` along `axis` (stable).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func softmax(alongAxis axis: Int = -1) -> Variable {
        logSoftmax(alongAxis: axis).exp()
    }
}
