import Foundation
import Testing
import MetaTensor
import MetaTasks

/// Whole-class mini-batches on the tiny data set of ``OmniglotSyntheticDataTests`` (one train
/// character, one test character): runs without the real archives.
@Suite struct OmniglotClassBatchesTests {
    static func labels<S>(_ targets: Targets<S>) -> [Int] {
        if case let .classification(labels) = targets { return labels }
        Issue.record("expected classification targets"); return []
    }

    @Test func batchesHoldOnlyTheTrainingCharactersInTheirFourRotationsWithGlobalLabels() throws {
        let dir = try OmniglotFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try OmniglotSyntheticDataTests.writeZips(OmniglotSyntheticDataTests.files(), to: dir)
        let data = try OmniglotDataset(directory: dir.path, split: OmniglotSyntheticDataTests.split)
        let batches = OmniglotClassBatches(dataset: data, batch: 32)
        #expect(batches.classCount(in: .train) == 4)
        let train = data.characterIndices(in: .train)
        var seen = Set<Int>()
        for index in 0..<3 {
            let task: Task<Float> = batches.task(seed: 1, iteration: 7, index: UInt32(index), split: .train)
            let draws = batches.draws(seed: 1, iteration: 7, index: UInt32(index), split: .train)
            let labels = Self.labels(task.supportTargets)
            #expect(labels == draws.map(\.label) && Self.labels(task.queryTargets) == labels)
            #expect(task.supportInputs.shape == [32, 1, 28, 28] && task.queryInputs == task.supportInputs)
            for (row, draw) in draws.enumerated() {
                #expect((0..<4).contains(draw.label))
                let member = batches.member(of: draw.label, in: .train)
                #expect(train.contains(member.character) && member.quarterTurns == draw.label % 4)
                let expected = OmniglotTasks.rotated(data.image(character: member.character, drawing: draw.drawing),
                                                     quarterTurns: member.quarterTurns, side: 28).map { Float($0) / 255 }
                #expect(task.supportInputs.slice(axis: 0, start: row, length: 1).scalars == expected, "row \(row)")
            }
            seen.formUnion(labels)
        }
        #expect(seen == Set(0..<4), "every rotation is a class that batches draw")
        // Keyed by the coordinates: the same batch again, another one at another index.
        #expect(batches.draws(seed: 1, iteration: 7, index: 0, split: .train).map(\.label)
                == batches.draws(seed: 1, iteration: 7, index: 0, split: .train).map(\.label))
        #expect(batches.draws(seed: 1, iteration: 7, index: 0, split: .train).map(\.drawing)
                != batches.draws(seed: 1, iteration: 7, index: 1, split: .train).map(\.drawing))
    }
}

/// The same on the real archives, skipped when they are absent.
@Suite(.enabled(if: OmniglotFixture.available, OmniglotFixture.skipMessage))
struct OmniglotClassBatchesRealDataTests {
    @Test func theTrainSplitHas4400ClassesAndBatchesDrawNoValidationOrTestCharacter() throws {
        let data = try OmniglotFixture.dataset()
        let batches = OmniglotClassBatches(dataset: data, batch: 512)
        #expect(batches.classCount(in: .train) == 4_400)
        let train = Set(data.characterIndices(in: .train))
        for index in 0..<8 {
            for draw in batches.draws(seed: 3, iteration: 11, index: UInt32(index), split: .train) {
                #expect((0..<4_400).contains(draw.label))
                #expect(train.contains(batches.member(of: draw.label, in: .train).character))
            }
        }
    }
}
