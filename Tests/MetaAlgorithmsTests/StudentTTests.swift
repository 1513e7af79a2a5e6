import Testing
import Foundation
import MetaAlgorithms

/// The Student-t distribution against its closed forms (ν = 1, the Cauchy; ν = 2) and the
/// Gaussian limit, and a predictive mixture of Student-t components.
@Suite struct StudentTTests {
    static let points = [-40.0, -2.5, -0.3, 0, 0.7, 4, 60]

    @Test func cdfMatchesTheClosedFormsForOneAndTwoDegreesOfFreedom() {
        for z in Self.points {
            #expect(abs(StudentT.cdf(z, degreesOfFreedom: 1) - (0.5 + atan(z) / Double.pi)) < 1e-13, "ν = 1, z = \(z)")
            #expect(abs(StudentT.cdf(z, degreesOfFreedom: 2) - (0.5 + z / (2 * (2 + z * z).squareRoot()))) < 1e-13, "ν = 2, z = \(z)")
        }
    }

    @Test func logDensityMatchesTheClosedFormsForOneAndTwoDegreesOfFreedom() {
        for z in Self.points {
            #expect(abs(StudentT.logDensity(z, degreesOfFreedom: 1) + log(Double.pi * (1 + z * z))) < 1e-12, "ν = 1, z = \(z)")
            #expect(abs(StudentT.logDensity(z, degreesOfFreedom: 2) + 1.5 * log(2 + z * z)) < 1e-12, "ν = 2, z = \(z)")
        }
    }

    @Test func manyDegreesOfFreedomGiveTheGaussian() {
        for z in Self.points where abs(z) < 10 {
            let normal = 0.5 * erfc(-z / 2.0.squareRoot())
            #expect(abs(StudentT.cdf(z, degreesOfFreedom: 1e7) - normal) < 1e-6, "z = \(z)")
            #expect(abs(StudentT.cdf(z, degreesOfFreedom: 7.5) - normal) > 1e-4 || z == 0, "z = \(z)")
        }
    }

    /// One Cauchy component of scale 2 at 1: the central 90 % interval is 1 ± 2 tan(0.45π), far
    /// outside the 40 deviations that bracket a Gaussian's quantiles at 99.9999 %.
    @Test func aStudentTMixturesIntervalsAndDensityAreItsComponents() {
        let cauchy = PredictiveMixture(means: [1], standardDeviation: 2, degreesOfFreedom: 1)
        let (lower, upper) = cauchy.centralInterval(0.9)
        let half = 2 * tan(0.45 * Double.pi)
        #expect(abs(lower - (1 - half)) < 1e-9 && abs(upper - (1 + half)) < 1e-9, "\(lower) \(upper)")
        let far = cauchy.quantile(1e-6)
        #expect(abs(far - (1 + 2 * tan(Double.pi * (1e-6 - 0.5)))) < 1e-6 * abs(far))
        let mixture = PredictiveMixture(means: [-1, 2], standardDeviation: 0.5, degreesOfFreedom: 2)
        let y = 0.3
        let expected = log(0.5 * (exp(StudentT.logDensity((y + 1) / 0.5, degreesOfFreedom: 2))
                                  + exp(StudentT.logDensity((y - 2) / 0.5, degreesOfFreedom: 2))) / 0.5)
        #expect(abs(mixture.logDensity(y) - expected) < 1e-12)
        #expect(abs(mixture.cdf(y) - 0.5 * (StudentT.cdf(2.6, degreesOfFreedom: 2) + StudentT.cdf(-3.4, degreesOfFreedom: 2))) < 1e-14)
    }
}
