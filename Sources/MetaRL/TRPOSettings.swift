/// The settings of a TRPO outer step (Schulman et al. 2015), with rllab's
/// `ConjugateGradientOptimizer` defaults as the MAML reference code uses them.
public struct TRPOSettings: Sendable, Hashable {
    /// The bound δ on the mean KL divergence between the old and the new (adapted) policies.
    public var maxKL: Double
    /// Conjugate-gradient products per step.
    public var cgIterations: Int
    /// Added to each Fisher product: `(F + damping I) v`.
    public var damping: Double
    /// Each backtrack scales the step by this ratio.
    public var backtrackRatio: Double
    /// Candidate steps tried: ratio⁰ … ratio^(maxBacktracks − 1).
    public var maxBacktracks: Int

    public init(maxKL: Double = 0.01, cgIterations: Int = 10, damping: Double = 1e-5,
                backtrackRatio: Double = 0.8, maxBacktracks: Int = 15) {
        self.maxKL = maxKL; self.cgIterations = cgIterations; self.damping = damping
        self.backtrackRatio = backtrackRatio; self.maxBacktracks = maxBacktracks
    }

    /// Finn et al. 2017 §5.3 (δ = 0.01) with rllab's defaults for the rest.
    public static let paper = TRPOSettings()
}
