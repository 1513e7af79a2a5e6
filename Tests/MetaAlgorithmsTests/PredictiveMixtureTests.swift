import Testing
import Foundation
import MetaAlgorithms

/// ``PredictiveMixture``: quantiles by bisection, densities, intervals.
@Suite struct PredictiveMixtureTests {
    @Test func aSingleGaussiansCentralIntervalsAreItsKnownQuantiles() {
        let g = PredictiveMixture(means: [1.5], standardDeviation: 2)
        // Standard normal quantiles: 0.6744897501960817 (75 %), 1.6448536269514722 (95 %), 1.959963984540054 (97.5 %).
        for (level, z) in [(0.5, 0.6744897501960817), (0.9, 1.6448536269514722), (0.95, 1.959963984540054)] {
            let interval = g.centralInterval(level)
            #expect(abs(interval.upper - (1.5 + 2 * z)) < 1e-9 && abs(interval.lower - (1.5 - 2 * z)) < 1e-9)
        }
        #expect(abs(g.logDensity(1.5) - (-log(2.0) - 0.5 * log(2 * Double.pi))) < 1e-12)
    }

    @Test func aMixturesQuantileHasTheRequestedProbabilityBelowIt() {
        let m = PredictiveMixture(means: [-3, 0.5, 4, 4.2], standardDeviation: 0.3)
        for p in [0.01, 0.25, 0.5, 0.7, 0.975] {
            #expect(abs(m.cdf(m.quantile(p)) - p) < 1e-9, "p = \(p)")
        }
        // Two well-separated equal components: the median lies between them, and the 50 % interval
        // spans the gap (far wider than either bump's 0.4).
        let two = PredictiveMixture(means: [-5, 5], standardDeviation: 0.3)
        #expect(two.quantile(0.5) > -4 && two.quantile(0.5) < 4)
        let half = two.centralInterval(0.5)
        #expect(half.upper - half.lower > 9)
        #expect(two.covers(0, level: 0.5) && !two.covers(6, level: 0.95))
        // A diverged draw covers nothing.
        #expect(!PredictiveMixture(means: [0, .infinity], standardDeviation: 1).covers(0, level: 0.95))
    }

    @Test func theDensityIsTheAverageOfTheComponentsAndStaysFiniteInTheTails() {
        let m = PredictiveMixture(means: [0, 1], standardDeviation: 0.5)
        func normal(_ y: Double, _ mu: Double) -> Double { exp(-0.5 * pow((y - mu) / 0.5, 2)) / (0.5 * (2 * Double.pi).squareRoot()) }
        #expect(abs(m.logDensity(0.3) - log((normal(0.3, 0) + normal(0.3, 1)) / 2)) < 1e-12)
        #expect(m.logDensity(400).isFinite)
    }
}
