import Testing
import MetaTensor
import MetaTasks

@Suite(.enabled(if: OmniglotFixture.available, OmniglotFixture.skipMessage))
struct OmniglotTasksTests {
    static func family(ways: Int = 5, shots: Int = 1, queries: Int = 15, rotations: Bool = true) throws -> OmniglotTasks {
        OmniglotTasks(dataset: try OmniglotFixture.dataset(), ways: ways, shots: shots, queries: queries, rotations: rotations)
    }

    static func labels<S>(_ targets: Targets<S>) -> [Int] {
        if case let .classification(labels) = targets { return labels }
        Issue.record("expected classification targets"); return []
    }

    @Test func sameCoordinatesGiveTheSameTask() throws {
        let family = try Self.family(ways: 20, shots: 5, queries: 5)
        for split in TaskSplit.allCases {
            let a = family.task(seed: 7, iteration: 123, index: 4, split: split, as: Float.self)
            // A family value made separately (as another process would) rebuilds it exactly.
            let b = try Self.family(ways: 20, shots: 5, queries: 5).task(seed: 7, iteration: 123, index: 4, split: split, as: Float.self)
            #expect(a.supportInputs == b.supportInputs && a.queryInputs == b.queryInputs)
            #expect(Self.labels(a.supportTargets) == Self.labels(b.supportTargets))
            #expect(Self.labels(a.queryTargets) == Self.labels(b.queryTargets))
            let d = family.task(seed: 7, iteration: 123, index: 4, split: split, as: Double.self)
            #expect(d.supportInputs.converted(to: Float.self) == a.supportInputs)
        }
    }

    @Test func differentCoordinatesGiveDifferentTasks() throws {
        let family = try Self.family()
        let base = family.episode(seed: 1, iteration: 10, index: 0, split: .train)
        #expect(family.episode(seed: 1, iteration: 10, index: 1, split: .train) != base)
        #expect(family.episode(seed: 1, iteration: 11, index: 0, split: .train) != base)
        #expect(family.episode(seed: 2, iteration: 10, index: 0, split: .train) != base)
        #expect(family.episode(seed: 1, iteration: 10, index: 0, split: .validation) != base)
        let a = family.task(seed: 1, iteration: 10, index: 0, split: .train, as: Float.self)
        let b = family.task(seed: 1, iteration: 10, index: 1, split: .train, as: Float.self)
        #expect(a.supportInputs != b.supportInputs)
    }

    /// Pins the sampling order: a change here changes every task ever drawn.
    @Test func samplingOrderIsPinned() throws {
        let e = try Self.family(ways: 3, shots: 1, queries: 2).episode(seed: 0, iteration: 0, index: 0, split: .train)
        #expect(e.classes.map(\.character) == [817, 58, 511])
        #expect(e.classes.map(\.quarterTurns) == [1, 2, 0])
        #expect(e.classes.map(\.supportDrawings) == [[0], [6], [6]])
        #expect(e.classes.map(\.queryDrawings) == [[19, 14], [12, 2], [1, 17]])
    }

    @Test func shapesLabelsAndValues() throws {
        let family = try Self.family(ways: 5, shots: 3, queries: 4)
        let task = family.task(seed: 3, iteration: 0, index: 9, split: .train, as: Float.self)
        #expect(task.supportInputs.shape == [15, 1, 28, 28])
        #expect(task.queryInputs.shape == [20, 1, 28, 28])
        #expect(Self.labels(task.supportTargets) == (0..<15).map { $0 / 3 })
        #expect(Self.labels(task.queryTargets) == (0..<20).map { $0 / 4 })
        let values = task.supportInputs.scalars + task.queryInputs.scalars
        #expect(values.allSatisfy { $0 >= 0 && $0 <= 1 })
        #expect(values.contains(1) && values.contains(0))
    }

    @Test func supportAndQueryAreDisjointAndClassesDistinct() throws {
        let family = try Self.family(ways: 20, shots: 5, queries: 15)
        for index in 0..<50 as Range<UInt32> {
            let e = family.episode(seed: 11, iteration: 2, index: index, split: .train)
            #expect(e.classes.count == 20)
            #expect(Set(e.classes.map(\.character)).count == 20)
            for c in e.classes {
                #expect(c.supportDrawings.count == 5 && c.queryDrawings.count == 15)
                #expect(Set(c.supportDrawings + c.queryDrawings).count == 20)
                #expect((c.supportDrawings + c.queryDrawings).allSatisfy { (0..<20).contains($0) })
            }
        }
    }

    /// Labels are assigned to characters in a random order: a character's label varies.
    @Test func labelAssignmentIsRandomPerTask() throws {
        let family = try Self.family()
        let firsts = (0..<40 as Range<UInt32>).map { family.episode(seed: 5, iteration: 0, index: $0, split: .train).classes[0].character }
        #expect(Set(firsts).count > 30)
    }

    @Test func rotationAugmentationRotatesImages() throws {
        let family = try Self.family(ways: 5, shots: 2, queries: 1)
        let data = family.dataset
        var seen = Set<Int>()
        for index in 0..<8 as Range<UInt32> {
            let e = family.episode(seed: 21, iteration: 4, index: index, split: .train)
            let task = family.task(seed: 21, iteration: 4, index: index, split: .train, as: Double.self)
            let support = task.supportInputs.scalars
            for (label, c) in e.classes.enumerated() {
                seen.insert(c.quarterTurns)
                for (k, drawing) in c.supportDrawings.enumerated() {
                    let original = data.image(character: c.character, drawing: drawing)
                    let expected = OmniglotTasks.rotated(original, quarterTurns: c.quarterTurns, side: 28).map { Double($0) / 255 }
                    let start = (label * 2 + k) * 784
                    #expect(Array(support[start..<(start + 784)]) == expected)
                    if c.quarterTurns != 0 {
                        #expect(OmniglotTasks.rotated(original, quarterTurns: c.quarterTurns, side: 28) != original)
                    }
                }
            }
        }
        #expect(seen == [0, 1, 2, 3])
        // Four quarter turns give the image back; one turn is numpy's rot90.
        let image = data.image(character: 100, drawing: 3)
        var turned = image
        for _ in 0..<4 { turned = OmniglotTasks.rotated(turned, quarterTurns: 1, side: 28) }
        #expect(turned == image)
        #expect(OmniglotTasks.rotated(image, quarterTurns: 1, side: 28) != image)
        #expect(OmniglotTasks.rotated([1, 2, 3, 4], quarterTurns: 1, side: 2) == [2, 4, 1, 3])
        #expect(OmniglotTasks.rotated([1, 2, 3, 4], quarterTurns: 3, side: 2) == [3, 1, 4, 2])
    }

    @Test func withoutRotationsNoImageIsTurned() throws {
        let family = try Self.family(rotations: false)
        for index in 0..<20 as Range<UInt32> {
            #expect(family.episode(seed: 2, iteration: 0, index: index, split: .test).classes.allSatisfy { $0.quarterTurns == 0 })
        }
    }

    @Test func eachSplitDrawsOnlyItsOwnCharacters() throws {
        let family = try Self.family(ways: 20, shots: 1, queries: 1)
        let data = family.dataset
        for split in TaskSplit.allCases {
            let allowed = Set(data.characterIndices(in: split))
            var used = Set<Int>()
            for index in 0..<100 as Range<UInt32> {
                used.formUnion(family.episode(seed: 9, iteration: 1, index: index, split: split).classes.map(\.character))
            }
            #expect(used.isSubset(of: allowed), "\(split)")
            if split == .test {
                #expect(used.isDisjoint(with: data.characterIndices(in: .train)))
                #expect(used.allSatisfy { data.characters[$0].archive == "images_evaluation" })
                #expect(used.count > 300)  // the draws spread over the 423 test characters
            }
        }
    }
}
