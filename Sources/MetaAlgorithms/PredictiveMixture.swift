import Foundation
import MetaTensor

/// A regression prediction as a distribution: the equal-weight mixture of Gaussians
/// N(mᵢ, σ²) over posterior draws' predictions mᵢ with the observation noise σ (one
/// component for a point estimate with a fitted noise); with ``degreesOfFreedom`` ν, of
/// Student-t distributions mᵢ + σ·t_ν instead (``StudentT``).
///
/// Quantiles are found by bisection on the mixture's CDF, which is continuous and strictly
/// increasing, to an absolute tolerance far below any figure it feeds.
public struct PredictiveMixture: Sendable, Equatable {
    /// The components' means.
    public var means: [Double]
    /// The components' common standard deviation.
    public var standardDeviation: Double
    /// nil: Gaussian components; ν: Student-t components of scale ``standardDeviation``.
    public var degreesOfFreedom: Double?

    public init(means: [Double], standardDeviation: Double, degreesOfFreedom: Double? = nil) {
        require(!means.isEmpty && standardDeviation > 0, "PredictiveMixture: needs a component and a positive deviation")
        require(degreesOfFreedom.map { $0 > 0 } ?? true, "PredictiveMixture: degrees of freedom must be positive")
        self.means = means; self.standardDeviation = standardDeviation; self.degreesOfFreedom = degreesOfFreedom
    }

    /// P(Y ≤ y).
    public func cdf(_ y: Double) -> Double {
        if let nu = degreesOfFreedom {
            return means.reduce(0) { $0 + StudentT.cdf((y - $1) / standardDeviation, degreesOfFreedom: nu) } / Double(means.count)
        }
        return means.reduce(0) { $0 + 0.5 * erfc(-(y - $1) / (standardDeviation * 2.0.squareRoot())) } / Double(means.count)
    }

    /// log p(y), computed with the largest component factored out so that far tails stay finite.
    public func logDensity(_ y: Double) -> Double {
        let logs = means.map { m -> Double in
            let z = (y - m) / standardDeviation
            if let nu = degreesOfFreedom { return StudentT.logDensity(z, degreesOfFreedom: nu) - log(standardDeviation) }
            return -0.5 * z * z - log(standardDeviation) - 0.5 * log(2 * Double.pi)
        }
        let top = logs.max()!
        return top + log(logs.reduce(0) { $0 + exp($1 - top) }) - log(Double(means.count))
    }

    /// The p-quantile, 0 < p < 1 (not a number when a mean is not finite).
    public func quantile(_ p: Double) -> Double {
        require(p > 0 && p < 1, "PredictiveMixture.quantile: p must be in (0, 1), got \(p)")
        guard means.allSatisfy(\.isFinite) else { return .nan }
        // Every Gaussian component's p-quantile lies within 40 deviations of its mean for any
        // p ≥ 1e-300, so the mixture's does too; a Student-t's tails are heavier, so the
        // bracket is widened until it holds p.
        var low = means.min()! - 40 * standardDeviation, high = means.max()! + 40 * standardDeviation
        while cdf(low) > p && low.isFinite { low -= 2 * (high - low) }
        while cdf(high) < p && high.isFinite { high += 2 * (high - low) }
        for _ in 0..<200 {
            let mid = 0.5 * (low + high)
            if cdf(mid) < p { low = mid } else { high = mid }
            if high - low <= 1e-12 * Swift.max(1, Swift.abs(mid)) { break }
        }
        return 0.5 * (low + high)
    }

    /// The central interval of probability `level` (0.9: from the 5 % to the 95 % quantile).
    /// Not-a-number ends when a mean is not finite (a diverged draw), so that nothing is
    /// inside it.
    public func centralInterval(_ level: Double) -> (lower: Double, upper: Double) {
        (quantile((1 - level) / 2), quantile((1 + level) / 2))
    }

    /// Whether `y` lies in the central interval of probability `level`.
    public func covers(_ y: Double, level: Double) -> Bool {
        let (lower, upper) = centralInterval(level)
        return lower <= y && y <= upper
    }
}
