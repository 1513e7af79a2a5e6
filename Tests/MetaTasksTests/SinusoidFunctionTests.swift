import Testing
import MetaTensor
import MetaTasks

/// ``SinusoidTasks`` as a ``FunctionTaskFamily``: the same task, queried anywhere.
@Suite struct SinusoidFunctionTests {
    /// The drawn task's targets are computed at the inputs before rounding to `Float`, the
    /// function at the rounded inputs it is given: the same up to that rounding.
    @Test func aTaskQueriedAtItsOwnQueryInputsIsTheSameTaskUpToRounding() {
        let family = SinusoidTasks(supportPoints: 5, queryPoints: 7)
        for index in UInt32(0)..<4 {
            let drawn: Task<Float> = family.task(seed: 11, iteration: 2, index: index, split: .test)
            let requeried: Task<Float> = family.task(seed: 11, iteration: 2, index: index, split: .test, queryInputs: drawn.queryInputs)
            #expect(requeried.supportInputs == drawn.supportInputs)
            guard case .regression(let a) = requeried.queryTargets, case .regression(let b) = drawn.queryTargets,
                  case .regression(let sa) = requeried.supportTargets, case .regression(let sb) = drawn.supportTargets else {
                Issue.record("sinusoid targets are not regression targets")
                return
            }
            #expect(zip(a.scalars, b.scalars).allSatisfy { abs($0 - $1) <= 1e-5 }, "task \(index): \(a) against the drawn \(b)")
            #expect(sa == sb)
        }
    }

    @Test func aGridQueryFollowsOneSineWithinTheAmplitudeRange() {
        let family = SinusoidTasks()
        let grid = Tensor<Double>(shape: [101, 1], scalars: (0...100).map { -5 + Double($0) / 10 })
        let task = family.task(seed: 3, iteration: 0, index: 1, split: .test, queryInputs: grid)
        guard case .regression(let y) = task.queryTargets else { Issue.record("not regression"); return }
        #expect(y.shape == [101, 1])
        let peak = y.scalars.map(abs).max()!
        #expect(peak > 0 && peak <= SinusoidTasks.amplitudeRange.upperBound)
        #expect(Set(y.scalars).count > 50, "a constant or nearly constant curve")
        // Another task is another function.
        let other = family.task(seed: 3, iteration: 0, index: 2, split: .test, queryInputs: grid)
        guard case .regression(let z) = other.queryTargets else { return }
        #expect(z != y)
    }
}
