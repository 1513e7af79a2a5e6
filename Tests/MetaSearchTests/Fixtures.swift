import Foundation
import MetaRandom
import MetaSearch

/// Shared values of the search tests.
enum Fixtures {
    /// Issue 18's space.
    static let space = SearchSpace()

    /// The dimensions in which `a` and `b` differ.
    static func differences(_ a: Genome, _ b: Genome) -> [SearchDimension] {
        SearchDimension.allCases.filter { d in
            switch d {
            case .blocks: return a.blocks != b.blocks
            case .filters: return a.filters != b.filters
            case .kernel: return a.kernel != b.kernel
            case .downsampling: return a.downsampling != b.downsampling
            case .normalization: return a.normalization != b.normalization
            case .learner: return a.learner != b.learner
            case .innerSteps: return a.innerSteps != b.innerSteps
            case .innerLearningRate: return a.innerLearningRate != b.innerLearningRate
            case .outerLearningRate: return a.outerLearningRate != b.outerLearningRate
            }
        }
    }

    /// A cheap fitness with one optimum inside issue 18's space: 1 minus the mean normalised
    /// distance of each dimension to a target genome (rates in log scale).
    static func syntheticFitness(_ g: Genome) -> Double {
        var d = 0.0
        d += Double(abs(g.blocks - 4)) / 3
        d += Double(abs(g.filters - 90)) / 112
        d += g.kernel == 5 ? 0 : 1
        d += g.downsampling == "max-pool" ? 0 : 1
        d += g.normalization == "none" ? 0 : 1
        d += g.learner == "anil" ? 0 : 1
        d += Double(abs(g.innerSteps - 2)) / 4
        d += abs(Foundation.log(g.innerLearningRate / 0.1)) / Foundation.log(100)
        d += abs(Foundation.log(g.outerLearningRate / 0.003)) / Foundation.log(100)
        return 1 - d / 9
    }

    /// Drives `state` to the end with `fitness` in place of training, proposals taken as soon
    /// as they are available and results given in index order.
    static func drive(_ state: SearchState, fitness: (Genome) -> Double) throws -> SearchState {
        var s = state
        while !s.isFinished {
            let i = s.records.count
            let g = try unwrap(s.proposal(i), "no proposal for candidate \(i)")
            try s.accept(CandidateRecord(method: s.method, index: i, genome: g, fitness: fitness(g), ci95: 0, parameters: 0, seconds: 0))
        }
        return s
    }
}

/// The value, or a thrown error naming what was missing (for the fixtures, outside a test body).
func unwrap<T>(_ value: T?, _ message: String = "") throws -> T {
    guard let value else { throw FixtureError(message) }
    return value
}

struct FixtureError: Error { let message: String; init(_ m: String) { message = m } }
