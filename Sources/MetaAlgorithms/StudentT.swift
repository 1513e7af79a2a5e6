import Foundation

/// The standard Student-t distribution with ν degrees of freedom (location 0, scale 1): its log
/// density and its CDF, for predictive distributions whose noise variance is itself uncertain.
///
/// A Gaussian whose variance has an inverse-gamma distribution (shape ν/2, scale ν s²/2) is,
/// marginally, s times a Student-t with ν degrees of freedom; the conjugate posterior after N
/// residuals from ν₀ pseudo-observations has ν = ν₀ + N (Gelman et al., Bayesian Data
/// Analysis, 3rd ed., §3.2). The CDF goes through the regularised incomplete beta function,
/// evaluated by its continued fraction (modified Lentz; Press et al., Numerical Recipes,
/// 3rd ed., §6.4).
public enum StudentT {
    /// log Γ((ν+1)/2) − log Γ(ν/2) − ½ log(νπ): the log density's constant.
    public static func logNormaliser(degreesOfFreedom nu: Double) -> Double {
        lgamma((nu + 1) / 2) - lgamma(nu / 2) - 0.5 * log(nu * Double.pi)
    }

    /// log p(z).
    public static func logDensity(_ z: Double, degreesOfFreedom nu: Double) -> Double {
        logNormaliser(degreesOfFreedom: nu) - (nu + 1) / 2 * log1p(z * z / nu)
    }

    /// P(Z ≤ z) = ½ I_{ν/(ν+z²)}(ν/2, ½) for z ≤ 0, and 1 minus that for z > 0.
    public static func cdf(_ z: Double, degreesOfFreedom nu: Double) -> Double {
        guard z.isFinite else { return z > 0 ? 1 : (z < 0 ? 0 : .nan) }
        let tail = 0.5 * regularisedIncompleteBeta(nu / (nu + z * z), a: nu / 2, b: 0.5)
        return z > 0 ? 1 - tail : tail
    }

    /// I_x(a, b) for 0 ≤ x ≤ 1, a, b > 0.
    public static func regularisedIncompleteBeta(_ x: Double, a: Double, b: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let logFront = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x)
        // The continued fraction converges fast for x < (a + 1)/(a + b + 2); use the symmetry
        // I_x(a, b) = 1 − I_{1−x}(b, a) otherwise.
        if x < (a + 1) / (a + b + 2) { return exp(logFront) * continuedFraction(x, a: a, b: b) / a }
        return 1 - exp(logFront) * continuedFraction(1 - x, a: b, b: a) / b
    }

    /// The incomplete beta function's continued fraction (modified Lentz).
    static func continuedFraction(_ x: Double, a: Double, b: Double) -> Double {
        let tiny = 1e-300
        var c = 1.0, d = 1 - (a + b) * x / (a + 1)
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var h = d
        for m in 1...10_000 {
            let m = Double(m), m2 = 2 * m
            var aa = m * (b - m) * x / ((a - 1 + m2) * (a + m2))
            d = 1 + aa * d; if abs(d) < tiny { d = tiny }
            c = 1 + aa / c; if abs(c) < tiny { c = tiny }
            d = 1 / d; h *= d * c
            aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + 1 + m2))
            d = 1 + aa * d; if abs(d) < tiny { d = tiny }
            c = 1 + aa / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-15 { break }
        }
        return h
    }
}
