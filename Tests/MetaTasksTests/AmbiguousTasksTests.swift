import Testing
import MetaTensor
import MetaTasks

/// ``AmbiguousTasks``: sines and lines in equal measure, with the stated noise.
@Suite struct AmbiguousTasksTests {
    @Test func tasksAreSinesAndLinesInAboutEqualNumbers() {
        let family = AmbiguousTasks()
        let kinds = (UInt32(0)..<400).map { i -> Bool in
            if case .sine = family.function(seed: 4, iteration: 0, index: i, split: .train) { return true }
            return false
        }
        let sines = kinds.filter { $0 }.count
        // Binomial(400, 1/2): 200 ± 40 is beyond four standard deviations (10) either way.
        #expect(sines > 160 && sines < 240, "\(sines) sines of 400")
    }

    @Test func linesStayWithinTheirSlopeAndInterceptRanges() {
        let family = AmbiguousTasks()
        for i in UInt32(0)..<200 {
            if case let .line(a, b) = family.function(seed: 5, iteration: 1, index: i, split: .test) {
                #expect(AmbiguousTasks.slopeRange.contains(a) && AmbiguousTasks.interceptRange.contains(b))
            }
        }
    }

    /// The residuals of the drawn targets from the task's function have the stated deviation.
    @Test func targetsAreTheFunctionPlusNoiseOfTheStatedDeviation() {
        let family = AmbiguousTasks(supportPoints: 5, queryPoints: 100)
        var squares = 0.0, count = 0.0
        for i in UInt32(0)..<50 {
            let task: Task<Double> = family.task(seed: 6, iteration: 0, index: i, split: .validation)
            let f = family.function(seed: 6, iteration: 0, index: i, split: .validation)
            guard case let .regression(y) = task.queryTargets else { Issue.record("not regression"); return }
            for (x, t) in zip(task.queryInputs.scalars, y.scalars) {
                #expect(AmbiguousTasks.inputRange.contains(x))
                squares += (t - f(x)) * (t - f(x)); count += 1
            }
        }
        let sd = (squares / count).squareRoot()
        // 5,000 residuals: the sample deviation is within 3 % of the true one far beyond 4 σ.
        #expect(abs(sd - AmbiguousTasks.noiseStandardDeviation) < 0.03 * AmbiguousTasks.noiseStandardDeviation, "deviation \(sd)")
    }

    @Test func aTaskIsAPureFunctionOfItsCoordinatesAndSplitsDiffer() {
        let family = AmbiguousTasks()
        let a: Task<Float> = family.task(seed: 7, iteration: 3, index: 2, split: .train)
        let b: Task<Float> = family.task(seed: 7, iteration: 3, index: 2, split: .train)
        let c: Task<Float> = family.task(seed: 7, iteration: 3, index: 2, split: .test)
        #expect(a.supportInputs == b.supportInputs && a.queryInputs == b.queryInputs)
        #expect(a.supportInputs != c.supportInputs)
        #expect(a.supportInputs.shape == [5, 1] && a.queryInputs.shape == [100, 1])
    }

    @Test func aGridQueryGivesTheNoiselessFunction() {
        let family = AmbiguousTasks()
        let grid = Tensor<Double>(shape: [11, 1], scalars: (0...10).map { -5 + Double($0) })
        let task = family.task(seed: 8, iteration: 0, index: 3, split: .test, queryInputs: grid)
        let f = family.function(seed: 8, iteration: 0, index: 3, split: .test)
        guard case let .regression(y) = task.queryTargets else { Issue.record("not regression"); return }
        #expect(zip(grid.scalars, y.scalars).allSatisfy { f($0) == $1 })
    }
}
