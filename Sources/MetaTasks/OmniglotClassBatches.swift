import MetaTensor
import MetaRandom

/// Mini-batches of labelled Omniglot images over every class of one part of an
/// ``OmniglotSplit`` at once: the pretraining data of the whole-class baseline (Chen et al.
/// 2019, "A Closer Look at Few-shot Classification", the "Baseline").
///
/// The classes of a split are its characters in each of the four rotations (0°, 90°, 180°,
/// 270°; the augmentation of ``OmniglotTasks``): the character at position `p` of the split's
/// character list (``OmniglotDataset/characterIndices(in:)``) turned `t` quarter turns
/// counter-clockwise is class `4p + t`, so the labels are global (the same class has the same
/// label in every batch), in `0..<4 × characters`. With `omniglot-split-v1` the train split
/// has 1,100 characters, 4,400 classes; no batch of the train split holds a validation or
/// test character.
///
/// A batch is a pure function of (seed, iteration, index, split): `batch` images, each drawn
/// from the ``RandomStream`` keyed by those coordinates and the purpose
/// `omniglot-classes-<split>`, in this order: its class uniformly in `0..<classes`, then its
/// drawing uniformly in `0..<20`. Images are drawn independently (with replacement), not in
/// epochs: a departure from Chen et al.'s data loader, which shuffles the training set once
/// per epoch; the keyed draw makes any batch rebuildable from its coordinates alone.
///
/// As a ``Task``, the batch is the support set (`[batch, 1, 28, 28]`, values `byte / 255`,
/// targets the global labels) and the query set is the same batch (the same tensor).
public struct OmniglotClassBatches: TaskFamily {
    public let dataset: OmniglotDataset
    /// Images per batch.
    public let batch: Int
    /// Class batches, not few-shot tasks.
    public var shape: TaskShape { .classBatch }

    /// Batches of `batch` images (at least 1).
    public init(dataset: OmniglotDataset, batch: Int) {
        require(batch >= 1, "Omniglot class batches need at least one image, got \(batch)")
        self.dataset = dataset; self.batch = batch
    }

    /// The data set's ``OmniglotDataset/contentDigest``.
    public var contentDigest: String? { dataset.contentDigest }

    /// Rotations per character: each is a class.
    public static let rotations = 4

    /// The number of classes of `split`: its characters × 4 rotations.
    public func classCount(in split: TaskSplit) -> Int { dataset.characterIndices(in: split).count * Self.rotations }

    /// The character (index into ``OmniglotDataset/characters``) and rotation of class `label` of `split`.
    public func member(of label: Int, in split: TaskSplit) -> (character: Int, quarterTurns: Int) {
        let pool = dataset.characterIndices(in: split)
        require(label >= 0 && label < pool.count * Self.rotations, "class \(label) is not one of the \(split.rawValue) split's \(pool.count * Self.rotations)")
        return (pool[label / Self.rotations], label % Self.rotations)
    }

    /// The labels and drawings (0..<20) of the batch with these coordinates, in batch order
    /// (what ``task(seed:iteration:index:split:as:)`` builds).
    public func draws(seed: UInt64, iteration: UInt64, index: UInt32, split: TaskSplit) -> [(label: Int, drawing: Int)] {
        let classes = classCount(in: split)
        require(classes > 0, "the \(split.rawValue) split has no characters")
        var stream = RandomStream(seed: seed, iteration: iteration, task: index, purpose: RandomPurpose("omniglot-classes-\(split.rawValue)"))
        return (0..<batch).map { _ in
            let label = stream.nextInt(below: classes)
            return (label, stream.nextInt(below: OmniglotDataset.drawingsPerCharacter))
        }
    }

    public func task<S: TensorScalar>(seed: UInt64, iteration: UInt64, index: UInt32, split: TaskSplit, as: S.Type = S.self) -> Task<S> {
        let draws = draws(seed: seed, iteration: iteration, index: index, split: split)
        let scale: [S] = OmniglotTasks.inputScale()
        let pixels = OmniglotDataset.pixelsPerImage, side = OmniglotDataset.side
        var values = [S](repeating: 0, count: draws.count * pixels)
        for (i, draw) in draws.enumerated() {
            let (character, turns) = member(of: draw.label, in: split)
            let image = OmniglotTasks.rotated(dataset.image(character: character, drawing: draw.drawing), quarterTurns: turns, side: side)
            for (j, byte) in image.enumerated() { values[i * pixels + j] = scale[Int(byte)] }
        }
        let inputs = Tensor(shape: [draws.count, 1, side, side], scalars: values)
        let labels = Targets<S>.classification(draws.map(\.label))
        return Task(supportInputs: inputs, supportTargets: labels, queryInputs: inputs, queryTargets: labels)
    }
}
